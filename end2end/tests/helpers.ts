import { Browser, expect, Page } from '@playwright/test';
import { DEMO_TOTP_SECRET, freshCode } from './totp';

export const DEMO_PASSWORD = 'fluxorae-demo-2026';

/** Waits until the wasm has hydrated the page (the frontend marks <html data-hydrated>). */
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
}

/** A unique email for a new account. */
export function freshEmail(tag: string) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD, next?: string) {
  await page.goto(next ? `/signin?next=${encodeURIComponent(next)}` : '/signin');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signUp(page: Page, name: string, email: string, password: string) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** Signs in an account that asks for a second factor, with the demo secret's code. */
export async function signInWithCode(page: Page, email: string, next?: string, secret = DEMO_TOTP_SECRET) {
  await signIn(page, email, DEMO_PASSWORD, next);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await page.getByLabel('Authentication code').fill(await freshCode(secret, email));
  await page.getByRole('button', { name: 'Verify' }).click();
}

/** Signs in as a demo account and waits for `next`, answering the second-factor step when the
 * account has one. */
export async function signInAs(page: Page, email: string, next: string) {
  await signIn(page, email, DEMO_PASSWORD, next);
  const code = page.getByLabel('Authentication code');
  await page.waitForURL((u) => !u.pathname.startsWith('/signin') || u.pathname === '/signin/two-factor');
  if (new URL(page.url()).pathname === '/signin/two-factor') {
    await code.fill(await freshCode(DEMO_TOTP_SECRET, email));
    await page.getByRole('button', { name: 'Verify' }).click();
  }
  await page.waitForURL((u) => u.pathname === next);
  await hydrated(page);
}

/** A second person in a browser context of their own, signed in at `next`. */
export async function person(browser: Browser, email: string, next: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, email, next);
  return { context, page };
}
