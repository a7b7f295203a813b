import { test, expect } from '@playwright/test';
import { freshEmail, hydrated, signIn, signInWithCode, signUp } from './helpers';
import { freshCode } from './totp';

// A code works once per account, so a journey with several sign-ins may wait for the next one.
test.setTimeout(120_000);

test('turn on two-factor sign-in, then sign in with a code and with a recovery code', async ({ page }) => {
  const email = freshEmail('careful');
  const password = 'a careful and long phrase';
  await signUp(page, 'Cleo Careful', email, password);
  await expect(page.getByText('Welcome back, Cleo Careful.')).toBeVisible();

  await page.goto('/account');
  await page.getByRole('link', { name: 'Manage two-factor authentication' }).click();
  await expect(page.getByRole('heading', { name: 'Two-factor authentication', level: 1 })).toBeVisible();
  await hydrated(page);
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const secret = (await page.getByLabel('Setup key').innerText()).replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);

  // A wrong code is refused at its field, and the form stays.
  await page.getByLabel('Code from the app').fill('12345');
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await expect(page.locator('#field-code-error')).toHaveText('Enter the 6-digit code your authenticator app shows for Fluxorae.');
  await expect(page.getByLabel('Code from the app')).toHaveValue('12345');

  await page.getByLabel('Code from the app').fill(await freshCode(secret));
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const recovery = await codes.first().innerText();
  expect(recovery).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  await expect(page.getByText(/Two-factor authentication is on since/)).toBeVisible();
  await page.getByRole('link', { name: 'I have saved my codes' }).click();
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();

  // Signing in now asks for a code after the password.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, email, password);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await page.getByLabel('Authentication code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#field-code-error')).toContainText('That code is not valid');
  await page.getByLabel('Authentication code').fill(await freshCode(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByText('Welcome back, Cleo Careful.')).toBeVisible();

  // Lost phone: a recovery code signs in once.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, email, password);
  await page.getByLabel('Authentication code').fill(recovery);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByText('Welcome back, Cleo Careful.')).toBeVisible();
  await page.goto('/account/two-factor');
  await expect(page.getByText('Recovery codes left: 9.')).toBeVisible();
});

test('a team manager signs in with a code and reaches the team page', async ({ page }) => {
  await signInWithCode(page, 'manager@acme.fluxorae.test', '/teams/acme-sales');
  await expect(page.getByRole('heading', { name: 'Acme Sales', level: 1 })).toBeVisible();
  await expect(page.getByText('Your role: Manager')).toBeVisible();
});
