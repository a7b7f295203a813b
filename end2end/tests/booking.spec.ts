import { test, expect } from '@playwright/test';
import { hydrated, person, signInAs } from './helpers';

// Appointment booking from a conversation: the SDR offers Daniel three quick times (they go into
// the reply box with a link to every free time); the SDR books the first; Daniel
// opens the link, where that time is his and no longer offered, and moves the call to the
// second; the SDR's open conversation shows the move live. Product keeps the booking hours on the
// channels page, where a wrong time zone is named and nothing is lost.

const INBOX = '/teams/acme-sales/inbox';

test('an SDR offers times, books one, and the lead moves it through the link', async ({ page, browser }) => {
  test.setTimeout(90_000);
  await signInAs(page, 'sdr@acme.fluxorae.test', INBOX);
  await page.getByTestId('conversation').filter({ hasText: 'Daniel Okoro' }).getByRole('link').click();
  const open = page.getByTestId('open-conversation');
  const call = open.getByTestId('call');
  await expect(call).toContainText('No call booked.');

  await call.getByRole('button', { name: 'Offer three times' }).click();
  const reply = page.getByLabel('Your reply');
  await expect(reply).toHaveValue(/^Would one of these times work for a 30-minute call\?\n1\. .+\n2\. .+\n3\. .+\n\(Times are Asia\/Kolkata\.\)/);
  const text = await reply.inputValue();
  const link = text.match(/https?:\/\/\S+\/book\/[A-Za-z0-9_-]+/)![0];
  // (Not sent here: the demo number has no token, and the replies journey counts its queue.)

  // The three times, as offered; the SDR books the first.
  const slots = call.getByTestId('offered-slot');
  await expect(slots).toHaveCount(3);
  const labels = (await slots.allInnerTexts()).map((t) => t.match(/^\d\. (.+?, \d\d:\d\d)/)![1]);
  await slots.nth(0).getByRole('button', { name: 'Book' }).click();
  await expect(call.getByTestId('call-booked')).toContainText(`Call booked: ${labels[0]}–`);
  await expect(call.getByTestId('call-booked')).toContainText('(Asia/Kolkata)');
  await expect(slots.nth(0)).toContainText('no longer free');

  // Daniel opens his link: his call is shown and its time is not offered again; he moves it.
  const lead = await browser.newContext();
  const daniel = await lead.newPage();
  await daniel.goto(link);
  await hydrated(daniel);
  await expect(daniel.getByRole('heading', { level: 1 })).toContainText('Book a call with');
  await expect(daniel.getByTestId('current')).toContainText(labels[0]);
  await expect(daniel.locator(`[data-testid=slot][data-label="${labels[0]}"]`)).toHaveCount(0);
  await daniel.locator(`[data-testid=slot][data-label="${labels[1]}"]`).click();
  await expect(daniel.getByTestId('booked')).toContainText(`You're booked: ${labels[1]}–`);
  await lead.close();

  // The SDR sees the move without a reload.
  await expect(call.getByTestId('call-booked')).toContainText(`Call booked: ${labels[1]}–`);
  await expect(call.getByTestId('call-booked')).toContainText('booked by the lead, through their link');
  // The SDR cancels it.
  await call.getByRole('button', { name: 'Cancel the call' }).click();
  await expect(call).toContainText('No call booked.');
});

test('product keeps the booking hours; a wrong time zone is named and nothing is lost', async ({ browser }) => {
  const { context, page } = await person(browser, 'product@acme.fluxorae.test', '/teams/acme-sales/channels');
  const hours = page.getByTestId('booking-hours');
  await expect(hours.getByLabel('Time zone')).toHaveValue('Asia/Kolkata');
  await hours.getByLabel('Time zone').fill('India/Mumbai');
  await hours.getByLabel(/Weekly hours/).fill('Mon-Fri 09:00-13:00, 14:00-18:00\nSat 10:00-12:00');
  await hours.getByRole('button', { name: 'Save booking hours' }).click();
  await expect(page.locator('#booking-time_zone-error')).toContainText('“India/Mumbai” is not a time zone we know');
  await expect(hours.getByLabel(/Weekly hours/)).toHaveValue('Mon-Fri 09:00-13:00, 14:00-18:00\nSat 10:00-12:00');
  await hours.getByLabel('Time zone').fill('Asia/Kolkata');
  await hours.getByRole('button', { name: 'Save booking hours' }).click();
  await expect(hours.getByRole('status')).toHaveText('Saved. New offers use these hours.');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('booking-hours').getByLabel(/Weekly hours/)).toHaveValue('Mon-Fri 09:00-13:00, 14:00-18:00\nSat 10:00-12:00');
  await context.close();
});
