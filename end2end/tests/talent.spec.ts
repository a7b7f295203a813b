import { test, expect } from '@playwright/test';
import { freshEmail, hydrated, person, signInAs } from './helpers';

// A freelancer's way in: sign up as a freelancer, build the profile (skills from the list,
// availability with time off, a portfolio piece, an identity document kept encrypted), send it
// to review; ops opens the document and approves; the freelancer applies to a new project and
// ops accepts the application, which assigns them.

const PDF = '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n';

function isoDay(offsetDays: number) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test('a new freelancer is onboarded, reviewed, approved, applies and is assigned', async ({ page, browser }) => {
  test.setTimeout(150_000);
  const email = freshEmail('nia');
  const name = `Nia ${Date.now() % 100000}`;

  // Sign up as a freelancer: straight to the profile, a draft with its checklist.
  await page.goto('/signup?as=freelancer');
  await hydrated(page);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long enough freelancer password');
  await expect(page.getByLabel('work as a freelancer')).toBeChecked();
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((u) => u.pathname === '/talent');
  await hydrated(page);
  await expect(page.getByTestId('profile-status')).toHaveAttribute('data-status', 'draft');
  await expect(page.getByTestId('missing')).toContainText('a headline');
  await expect(page.getByRole('button', { name: 'Send for review' })).toBeDisabled();

  // A rate that does not read is flagged; what was typed stays.
  await page.getByLabel('Headline').fill('Flutter developer for delivery apps');
  await page.getByLabel('About you and your work').fill('Five years of Flutter and Firebase; shipped apps for three restaurant chains.');
  await page.getByLabel('Hourly rate (US$)').fill('cheap');
  await page.getByLabel('Filter skills').fill('flut');
  await expect(page.getByLabel('Kotlin')).toBeHidden();
  await page.getByLabel('Flutter').check();
  await page.getByLabel('Filter skills').fill('');
  await page.getByLabel('Firebase').check();
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.locator('#p-rate-error')).toContainText('whole US dollars');
  await expect(page.getByLabel('Headline')).toHaveValue('Flutter developer for delivery apps');
  await page.getByLabel('Hourly rate (US$)').fill('40');
  await page.getByLabel('Time zone').selectOption({ label: 'UTC+05:30' });
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(page.getByTestId('missing')).not.toContainText('a headline');

  // Availability: weekdays, and a week off that the calendar shows.
  for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) {
    await page.getByLabel(day, { exact: true }).fill('6');
  }
  await page.getByRole('button', { name: 'Add time off' }).click();
  await page.getByTestId('time-off').getByLabel('First day off').fill(isoDay(8));
  await page.getByTestId('time-off').getByLabel('Last day off').fill(isoDay(10));
  await page.getByRole('button', { name: 'Save availability' }).click();
  await expect(page.locator(`[data-date="${isoDay(9)}"]`)).toContainText('off');
  await expect(page.getByLabel('Mon', { exact: true })).toHaveValue('6');

  // A portfolio piece needs a file or a link.
  await page.getByLabel('Title').fill('Tiffin delivery app');
  await page.getByRole('button', { name: 'Add to portfolio' }).click();
  await expect(page.locator('#piece-file-error')).toContainText('file or a link');
  await expect(page.getByLabel('Title')).toHaveValue('Tiffin delivery app');
  await page.getByLabel('Link (optional)').fill('https://example.com/tiffin');
  await page.getByRole('button', { name: 'Add to portfolio' }).click();
  await expect(page.getByTestId('piece')).toContainText('Tiffin delivery app');

  // Identity document: a text file is refused; a PDF is kept, encrypted, and opens for its owner.
  await page.getByLabel('Document', { exact: true }).selectOption('passport');
  await page.getByLabel('Scan or photo').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a scan') });
  await page.getByRole('button', { name: 'Upload document' }).click();
  await expect(page.locator('#kyc-file-error')).toContainText('PDF, PNG, JPEG or WebP');
  await page.getByLabel('Scan or photo').setInputFiles({ name: 'passport.pdf', mimeType: 'application/pdf', buffer: Buffer.from(PDF) });
  await page.getByRole('button', { name: 'Upload document' }).click();
  const doc = page.getByTestId('document');
  await expect(doc).toContainText('Passport');
  const href = await doc.getByRole('link', { name: 'passport.pdf' }).getAttribute('href');
  const own = await page.request.get(href!);
  expect(own.status()).toBe(200);
  expect(await own.text()).toBe(PDF);

  // Everything is there: send it. While in review it cannot be changed.
  await page.getByRole('button', { name: 'Send for review' }).click();
  await expect(page.getByTestId('profile-status')).toHaveAttribute('data-status', 'submitted');
  await expect(page.getByLabel('Headline')).toBeDisabled();

  // Another freelancer cannot open the document.
  const fern = await person(browser, 'freelancer@demo.fluxorae.test', '/talent');
  expect((await fern.page.request.get(href!)).status()).toBe(404);

  // Ops reviews: opens the document, approves.
  const ops = await person(browser, 'employee@demo.fluxorae.test', '/admin/talent');
  const card = ops.page.getByTestId('review-item').filter({ hasText: email });
  await expect(card).toContainText('Flutter developer for delivery apps');
  await expect(card).toContainText('Firebase');
  const seen = await ops.page.request.get(href!);
  expect(seen.status()).toBe(200);
  expect(await seen.text()).toBe(PDF);
  await card.getByRole('button', { name: 'Ask for changes' }).click();
  await expect(ops.page.getByText('Say what the freelancer should change.')).toBeVisible();
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(card).toBeHidden();

  // A customer posts a project; the approved freelancer sees it open and applies.
  const customer = await person(browser, 'customer@demo.fluxorae.test', '/projects/new');
  const title = `Bakery app ${Date.now() % 100000}`;
  await customer.page.getByLabel('What do you need?').fill('A Flutter delivery app for our bakery chain with order tracking and card payments; launch in two months.');
  await customer.page.getByRole('button', { name: 'Draft the scope' }).click();
  await expect(customer.page.getByTestId('analysis')).toContainText('Suggested by AI');
  await customer.page.getByLabel('Project name').fill(title);
  await customer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await customer.page.getByRole('button', { name: 'Confirm and fund' }).click();
  await customer.page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  const projectUrl = new URL(customer.page.url()).pathname;

  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('profile-status')).toHaveAttribute('data-status', 'approved');
  await page.getByRole('link', { name: 'See open projects' }).click();
  await page.waitForURL((u) => u.pathname === '/talent/projects');
  await hydrated(page);
  const open = page.getByTestId('open-project').filter({ hasText: title });
  await expect(open).not.toContainText('Cai Customer');
  await open.getByLabel('Your proposal').fill('Short');
  await open.getByRole('button', { name: 'Send application' }).click();
  await expect(open).toContainText('at least 50 characters');
  await expect(open.getByLabel('Your proposal')).toHaveValue('Short');
  await open.getByLabel('Your proposal').fill('I shipped two Flutter delivery apps with live order tracking; I can start on Monday.');
  await open.getByLabel('Your price for the project (US$)').fill('6,000');
  await open.getByLabel('Weeks you need').fill('8');
  await open.getByRole('button', { name: 'Send application' }).click();
  await expect(open.getByTestId('my-application')).toHaveAttribute('data-status', 'pending');

  // Ops accepts it on the project: the freelancer is assigned.
  await ops.page.goto(projectUrl);
  await hydrated(ops.page);
  const application = ops.page.getByTestId('application').filter({ hasText: name });
  await expect(application).toContainText('$6000');
  await application.getByRole('button', { name: `Accept and assign ${name}` }).click();
  await expect(application).toHaveAttribute('data-status', 'accepted');

  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('open-project').filter({ hasText: title }).getByTestId('my-application')).toHaveAttribute('data-status', 'accepted');
  await page.goto(projectUrl);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();

  for (const p of [fern, ops, customer]) await p.context.close();
});
