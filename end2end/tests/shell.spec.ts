import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

test('the home page HTML has its content before any script runs', async ({ request }) => {
  const res = await request.get('/');
  expect(res.status()).toBe(200);
  const html = await res.text();
  expect(html).toContain('From a plain-language brief to delivered work');
  expect(html).toMatch(/<a[^>]*href="\/signin"[^>]*>Sign in(<!>)?<\/a>/);
  // Security headers.
  const csp = res.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers()['x-content-type-options']).toBe('nosniff');
  expect(res.headers()['x-frame-options']).toBe('DENY');
});

test('the home page reads complete with JavaScript disabled', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/From a plain-language brief to delivered work/);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign up' })).toBeVisible();
  await context.close();
});

test('after hydration the theme toggle switches the page to dark, and the server remembers it', async ({ page }) => {
  await page.goto('/signin');
  await hydrated(page);
  const html = page.locator('html');
  await expect(html).not.toHaveClass(/dark/);
  const toggle = page.getByRole('button', { name: /theme/i });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  const lightBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await toggle.click();
  await expect(html).toHaveClass(/dark/);
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  const darkBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(darkBg).not.toBe(lightBg);
  // A new request is rendered dark by the server, before any script runs.
  const res = await page.request.get('/signin');
  expect(await res.text()).toMatch(/<html[^>]*class="dark"/);
  await page.reload();
  await expect(html).toHaveClass(/dark/);
});

test('an unknown route gets a 404 page', async ({ page }) => {
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('We could not find that page');
});

test('health and readiness answer', async ({ request }) => {
  expect((await request.get('/healthz')).status()).toBe(200);
  const ready = await request.get('/readyz');
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toMatchObject({ status: 'ready', postgres: 'ok', redis: 'ok' });
});
