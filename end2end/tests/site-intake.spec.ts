import { test, expect } from '@playwright/test';
import { hydrated, person, signInAs } from './helpers';

// The site's forms as lead intake: the team's owner connects an address for site leads; the
// platform admin sends the site's leads to it on /admin/site; a visitor's contact form then
// shows up live in the SDR's open inbox as an email from the visitor, and the admin's list
// says which team it went to. At the end the admin sends leads to no team again.

const CHANNELS = '/teams/acme-sales/channels';
const INBOX = '/teams/acme-sales/inbox';

test('a site form reaches the chosen team\'s inbox live', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const address = `leads-${Date.now()}@acme.fluxorae.test`;
  const { context: ownerCtx, page: boss } = await person(browser, 'owner@acme.fluxorae.test', CHANNELS);
  await boss.getByText('Connect a channel').click();
  await boss.locator('#connect-kind').selectOption('email');
  await boss.locator('#connect-id').fill(address);
  await boss.locator('#connect-name').fill('Acme site leads');
  await boss.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(boss.getByTestId('channel').filter({ hasText: address })).toBeVisible();
  await ownerCtx.close();

  // The admin chooses where the site's leads go.
  const { context: adminCtx, page: admin } = await person(browser, 'admin@demo.fluxorae.test', '/admin/site');
  const intake = admin.getByTestId('site-intake');
  const choice = `Acme Sales — ${address}`;
  await intake.getByLabel("A sales team's email channel").selectOption({ label: choice });
  await intake.getByRole('button', { name: 'Save' }).click();
  await expect(intake.getByTestId('site-intake-now')).toContainText(`go to Acme Sales's inbox, as emails to ${address}`);

  try {
    // The SDR's inbox is open when a visitor sends the contact form.
    await signInAs(page, 'sdr@acme.fluxorae.test', INBOX);
    await expect(page.locator('html')).toHaveAttribute('data-inbox-live', 'open');
    const visitorCtx = await browser.newContext();
    const visitor = await visitorCtx.newPage();
    await visitor.goto('/contact');
    const name = `Noor Haddad ${Date.now() % 100000}`;
    const email = `noor-${Date.now()}@haddad.example`;
    await visitor.getByLabel('Your name').fill(name);
    await visitor.getByLabel('Work email').fill(email);
    await visitor.getByLabel('Company').fill('Haddad Logistics');
    await visitor.getByLabel('How can we help?').fill('We need a tracking portal for our 40 trucks. Our budget is about $20,000.');
    await visitor.getByLabel(/I agree that Fluxorae may store/).check();
    await visitor.waitForTimeout(3200);
    await visitor.locator('form[data-lead] button[type=submit]').click();
    await expect(visitor.getByRole('status')).toContainText('Thank you');
    await visitorCtx.close();

    const row = page.getByTestId('conversation').filter({ hasText: name });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await row.getByRole('link').click();
    const open = page.getByTestId('open-conversation');
    const theirs = open.getByTestId('message').first();
    await expect(theirs.getByTestId('message-subject')).toHaveText('Website: a message from the contact form');
    await expect(theirs).toContainText('tracking portal for our 40 trucks');
    await expect(theirs).toContainText('Company: Haddad Logistics');
    await expect(open).toContainText(`email:${email}`);
    // The answer goes by email from the address the leads arrive at.
    await expect(open.getByTestId('composer').getByTestId('window')).toHaveText('On Acme site leads: no reply window, answer at any time.');

    // The admin's list says where it went.
    await admin.reload();
    await hydrated(admin);
    const listed = admin.locator('table[data-test=leads] tr').filter({ hasText: email });
    await expect(listed).toContainText('Acme Sales');
  } finally {
    await intake.getByLabel("A sales team's email channel").selectOption({ label: 'No team: keep them here only' });
    await intake.getByRole('button', { name: 'Save' }).click();
    await expect(intake.getByTestId('site-intake-now')).toHaveText('Leads stay on this list only: no team\'s inbox gets them.');
    await adminCtx.close();
  }
});
