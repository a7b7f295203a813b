import { test, expect } from '@playwright/test';
import { DEMO_PASSWORD, freshEmail, hydrated, signIn, signInWithCode, signUp } from './helpers';

// Each two-factor code works once per account, and other files sign the demo admin in too: a
// test that signs the admin in may wait up to 30 s for the next code.
test.setTimeout(90_000);

test('sign up, sign out, sign in', async ({ page }) => {
  const email = freshEmail('newcomer');
  await signUp(page, 'Nia Newcomer', email, 'a long and unrelated phrase');
  await expect(page.getByText('Welcome back, Nia Newcomer.')).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Account' })).toBeVisible();
  // A customer has no admin panel, so the link is not there.
  await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);

  await nav.getByRole('button', { name: 'Sign out' }).click();
  await expect(nav.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Sign out' })).toHaveCount(0);

  await signIn(page, email, 'a long and unrelated phrase');
  await expect(page.getByText('Welcome back, Nia Newcomer.')).toBeVisible();
  await page.goto('/account');
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
});

test('sign-up errors are shown at their fields and the input is kept', async ({ page }) => {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Kim');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  const email = page.getByLabel('Email');
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#field-email-error')).toHaveText('Enter an email address like name@example.com.');
  await expect(page.locator('#field-password-error')).toHaveText('Use at least 10 characters.');
  await expect(email).toHaveValue('not-an-email');
  await expect(page.getByLabel('Your name')).toHaveValue('Kim');
});

test('a wrong password gets one clear message and keeps the email', async ({ page }) => {
  await signIn(page, 'customer@demo.fluxorae.test', 'not the password at all');
  await expect(page.getByRole('alert')).toContainText('That email and password do not match.');
  await expect(page.getByLabel('Email')).toHaveValue('customer@demo.fluxorae.test');
});

test('keyboard-only sign-in', async ({ page }) => {
  await page.goto('/signin');
  await hydrated(page);
  // Tab from the top of the page to the email field, as a keyboard user would.
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name === 'email')) break;
  }
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.keyboard.type('employee@demo.fluxorae.test');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByText('Welcome back, Emil Employee.')).toBeVisible();
});

test('a visitor opening /admin is sent to sign in', async ({ page }) => {
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/signin\?next=\/admin$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('a customer gets 403 at /admin', async ({ page }) => {
  await signIn(page, 'customer@demo.fluxorae.test');
  await expect(page.getByText('Welcome back, Cai Customer.')).toBeVisible();
  const res = await page.goto('/admin');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You do not have access to this page');
});

test('an admin signs in with a second factor, sees the panel and the audit chain verifies', async ({ page }) => {
  await signInWithCode(page, 'admin@demo.fluxorae.test', '/admin');
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'customer@demo.fluxorae.test' }).first()).toBeVisible();
  await expect(page.getByRole('cell', { name: 'auth.sign_in', exact: true }).first()).toBeVisible();
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(page.getByText(/All \d+ entries verify: the chain is intact\./)).toBeVisible();
});

test('reset a forgotten password through the emailed link', async ({ page, browser }) => {
  const email = freshEmail('forgetful');
  await signUp(page, 'Fay Forgetful', email, 'original phrase for fay');
  await expect(page.getByText('Welcome back, Fay Forgetful.')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();

  await page.goto('/forgot-password');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByText('If an account uses that email, a reset link is on its way.')).toBeVisible();

  // No SMTP is configured in tests: the email waits in the outbox, which admins can read.
  const admin = await (await browser.newContext()).newPage();
  await signInWithCode(admin, 'admin@demo.fluxorae.test', '/admin');
  await expect(admin.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  const mail = admin.getByRole('listitem').filter({ hasText: email }).first();
  const body = await mail.locator('pre').innerText();
  const link = body.match(/https?:\/\/\S+\/reset-password\?token=\S+/)?.[0];
  expect(link).toBeTruthy();

  await page.goto(new URL(link!).pathname + new URL(link!).search);
  await hydrated(page);
  await page.getByLabel('New password').fill('a brand new phrase for fay');
  await page.getByRole('button', { name: 'Save new password' }).click();
  await expect(page.getByText('Your password was changed. Sign in with your new password.')).toBeVisible();
  await signIn(page, email, 'a brand new phrase for fay');
  await expect(page.getByText('Welcome back, Fay Forgetful.')).toBeVisible();

  // The link works once.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(new URL(link!).pathname + new URL(link!).search);
  await hydrated(page);
  await page.getByLabel('New password').fill('yet another phrase for fay');
  await page.getByRole('button', { name: 'Save new password' }).click();
  await expect(page.getByRole('alert')).toContainText('This reset link has expired or was already used.');
});

test("an open page follows when an admin changes the person's role", async ({ page, browser }) => {
  const email = freshEmail('promoted');
  await signUp(page, 'Pia Promoted', email, 'a phrase for pia promoted');
  await expect(page.getByText('Welcome back, Pia Promoted.')).toBeVisible();
  await page.goto('/account');
  await hydrated(page);
  await expect(page.locator('html')).toHaveAttribute('data-account-events', 'open');
  const role = page.locator('dt:text-is("Role") + dd');
  await expect(role).toHaveText('Customer');

  const admin = await (await browser.newContext()).newPage();
  await signInWithCode(admin, 'admin@demo.fluxorae.test', '/admin');
  await hydrated(admin);
  const row = admin.getByRole('row').filter({ hasText: email });
  await row.getByLabel(`Role for ${email}`).selectOption('EMPLOYEE');
  await row.getByRole('button', { name: 'Save' }).click();

  // No reload: the person's page hears the change from the server.
  await expect(role).toHaveText('Employee');
});
