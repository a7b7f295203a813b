import { test, expect } from '@playwright/test';
import { person, signInAs } from './helpers';

// AI drafts in the inbox: the SDR asks for a draft of the answer to Daniel's last message; it
// goes into the reply box, written from the team's business facts only, and nothing is sent.
// Product keeps the facts on the channels page (a wrong field says why and keeps nothing); the
// next draft uses what they saved.

const INBOX = '/teams/acme-sales/inbox';

test("an SDR drafts a reply with AI from the team's facts, which product keeps", async ({ page, browser }) => {
  test.setTimeout(60_000);
  await signInAs(page, 'sdr@acme.fluxorae.test', INBOX);
  await page.getByTestId('conversation').filter({ hasText: 'Daniel Okoro' }).getByRole('link').click();
  const open = page.getByTestId('open-conversation');
  const composer = open.getByTestId('composer');
  const reply = page.getByLabel('Your reply');
  await expect(reply).toHaveValue('');

  await composer.getByRole('button', { name: 'Draft with AI' }).click();
  await expect(reply).toHaveValue(/^Hi Daniel, thanks for reaching out! Acme Studio can help with Website redesign\./);
  await expect(composer.getByTestId('draft-note')).toContainText("Drafted by AI from your team's facts (Website redesign");
  // A draft is only a draft: nothing went into the conversation.
  await expect(open.getByTestId('message').filter({ hasText: 'Acme Studio can help' })).toHaveCount(0);

  // Product renames the business on the channels page; a link without https:// is refused.
  const { context, page: product } = await person(browser, 'product@acme.fluxorae.test', '/teams/acme-sales/channels');
  const facts = product.getByTestId('facts');
  await expect(facts.getByLabel('Business name')).toHaveValue('Acme Studio');
  await expect(facts.getByLabel(/What you sell/)).toHaveValue(/Website redesign: 6000/);
  await facts.getByLabel('Business name').fill('Acme Studio Berlin');
  await facts.getByLabel('Booking link').fill('cal.example.com/acme');
  await facts.getByRole('button', { name: 'Save facts' }).click();
  await expect(product.locator('#facts-booking_link-error')).toContainText('starting with https://');
  await facts.getByLabel('Booking link').fill('https://cal.example.com/acme-berlin');
  await facts.getByRole('button', { name: 'Save facts' }).click();
  await expect(facts.getByRole('status')).toHaveText('Saved. New drafts use these facts.');
  await context.close();

  // The SDR's next draft uses the new name; they edit it before sending as usual.
  await composer.getByRole('button', { name: 'Draft with AI' }).click();
  await expect(reply).toHaveValue(/Acme Studio Berlin can help with Website redesign/);
});
