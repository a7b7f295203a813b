import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';

// The marketing site: pages from content blocks, complete without JavaScript, no wasm, SEO tags,
// lead forms that work without JavaScript, first-party conversion events, accessibility.

/** Runs SQL against the server's database (scripts/e2e.sh passes its URL). */
function sql(query: string): string {
  return execFileSync('psql', [process.env.DATABASE_URL ?? '', '-Atqc', query], { encoding: 'utf8' }).trim();
}

const PUBLIC_PAGES = [
  '/', '/services', '/solutions', '/case-studies', '/insights', '/pricing', '/contact', '/book-a-call',
  '/request-proposal', '/about', '/careers',
];

test('a visitor reads the home page with JavaScript disabled, and no wasm is loaded', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const wasm: string[] = [];
  page.on('request', (r) => { if (r.url().includes('.wasm') || r.url().endsWith('fluxorae.js')) wasm.push(r.url()); });
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/From a plain-language brief to delivered work/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Pricing' }).first()).toHaveAttribute('href', '/pricing');
  await expect(page.getByRole('link', { name: 'Request Proposal' }).first()).toHaveAttribute('href', '/request-proposal');
  // The page closes with figures.
  await expect(page.locator('dl dd').first()).toBeVisible();
  // Case studies listed on the hub are real links that open without JavaScript.
  await page.goto('/case-studies');
  const first = page.getByRole('article').first().getByRole('link');
  const title = (await first.textContent()) ?? '';
  await first.click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Return on investment' })).toBeVisible();
  expect(title.length).toBeGreaterThan(5);
  expect(wasm).toEqual([]);
  await context.close();
});

test('every public page has its SEO tags and ordered headings', async ({ request }) => {
  for (const path of PUBLIC_PAGES) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(200);
    const html = await res.text();
    expect(html.match(/<h1[\s>]/g)?.length, `${path}: one h1`).toBe(1);
    expect(html, path).toMatch(/<title>[^<]{10,}<\/title>/);
    expect(html, path).toMatch(/<meta name="description" content="[^"]{20,}"/);
    expect(html, path).toContain(`<link href="${new URL(res.url()).origin}${path}" rel="canonical">`);
    expect(html, path).toMatch(/<meta property="og:title" content="[^"]+"/);
    expect(html, path).toMatch(/<meta name="twitter:card" content="summary/);
    expect(html, path).not.toContain('fluxorae.wasm');
    // No heading level is skipped.
    const levels = [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
    for (let i = 1; i < levels.length; i++) {
      expect(levels[i] - levels[i - 1], `${path}: h${levels[i - 1]} then h${levels[i]}`).toBeLessThanOrEqual(1);
    }
  }
  const home = await (await request.get('/')).text();
  expect(home).toContain('"@type":"Organization"');
  const insights = await (await request.get('/insights')).text();
  const article = insights.match(/href="(\/insights\/[a-z0-9-]+)"/)![1];
  const articleHtml = await (await request.get(article)).text();
  expect(articleHtml).toContain('"@type":"Article"');
  expect(articleHtml).toContain('<meta property="og:type" content="article"');
  const pricing = await (await request.get('/pricing')).text();
  expect(pricing).toContain('"@type":"FAQPage"');

  const sitemap = await request.get('/sitemap.xml');
  expect(sitemap.headers()['content-type']).toContain('application/xml');
  const xml = await sitemap.text();
  for (const path of PUBLIC_PAGES) expect(xml).toContain(`${path}</loc>`);
  expect(xml).toContain(`${article}</loc>`);
  const robots = await (await request.get('/robots.txt')).text();
  expect(robots).toContain('Sitemap: ');
  expect(robots).toContain('Disallow: /admin');
});

async function fillContact(page: Page, name: string, email: string, message: string) {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('Company').fill('Meridian Family Clinics');
  await page.getByLabel('How can we help?').fill(message);
}

test('without JavaScript, a refused contact form keeps what was typed and says what to fix; a good one is stored', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/contact?utm_source=newsletter&utm_campaign=winter');
  const email = `ana-${Date.now()}@meridian.example`;
  await fillContact(page, 'Ana Silva', email, 'Too short');
  // A person takes a few seconds; the form refuses anything faster.
  await page.waitForTimeout(3200);
  await page.getByRole('button', { name: /send/i }).click();
  await expect(page.getByText('Tell us a little more')).toBeVisible();
  await expect(page.getByText('Please tick the box')).toBeVisible();
  await expect(page.getByLabel('Your name')).toHaveValue('Ana Silva');
  await expect(page.getByLabel('Work email')).toHaveValue(email);
  await expect(page.getByLabel('How can we help?')).toHaveAttribute('aria-invalid', 'true');
  expect(sql(`SELECT count(*) FROM site_leads WHERE email = '${email}'`)).toBe('0');

  await page.getByLabel('How can we help?').fill('We need a booking app for our 12 clinics, with reminders and a waitlist.');
  await page.getByLabel(/I agree that Fluxorae may store/).check();
  await page.waitForTimeout(3200);
  await page.getByRole('button', { name: /send/i }).click();
  await expect(page.getByRole('status')).toContainText('Thank you');
  const row = sql(`SELECT name || '|' || company || '|' || source_page || '|' || coalesce(utm_source, '') || '|' || coalesce(utm_campaign, '') || '|' || (consent_at IS NOT NULL) || '|' || (ip IS NOT NULL) || '|' || (user_agent LIKE '%Chrome%') FROM site_leads WHERE email = '${email}'`);
  expect(row).toBe('Ana Silva|Meridian Family Clinics|/contact|newsletter|winter|true|true|true');
  await context.close();
});

test('with JavaScript, CTA clicks and views are recorded first-party and a lead names the CTA that brought it', async ({ page }) => {
  const origin = new URL(process.env.BASE_URL ?? 'http://127.0.0.1:3000').origin;
  const thirdParty: string[] = [];
  page.on('request', (r) => { if (new URL(r.url()).origin !== origin) thirdParty.push(r.url()); });
  const before = Number(sql(`SELECT count(*) FROM site_events WHERE kind = 'cta_click' AND cta = 'book-a-call'`));
  await page.goto('/pricing');
  await page.getByRole('link', { name: 'Book a Call' }).first().click();
  await expect(page).toHaveURL(/\/book-a-call/);
  await expect.poll(() => Number(sql(`SELECT count(*) FROM site_events WHERE kind = 'cta_click' AND cta = 'book-a-call' AND path = '/pricing'`))).toBeGreaterThan(before);
  await expect.poll(() => Number(sql(`SELECT count(*) FROM site_events WHERE kind = 'view' AND path = '/book-a-call'`))).toBeGreaterThan(0);
  const email = `dev-${Date.now()}@kestrel.example`;
  await page.getByLabel('Your name').fill('Dev Patel');
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('When suits you?').selectOption('morning');
  await page.getByLabel(/I agree that Fluxorae may store/).check();
  await page.waitForTimeout(3200);
  await page.locator('form[data-lead] button[type=submit]').click();
  await expect(page.getByRole('status')).toContainText('Thank you');
  expect(sql(`SELECT form || '|' || cta FROM site_leads WHERE email = '${email}'`)).toBe('book_call|book-a-call');
  expect(thirdParty).toEqual([]);
});

test('the theme toggle works on site pages without the wasm, and the server remembers it', async ({ page }) => {
  await page.goto('/about');
  const html = page.locator('html');
  await expect(html).not.toHaveClass(/dark/);
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await expect(html).toHaveClass(/dark/);
  const res = await page.request.get('/about');
  expect(await res.text()).toMatch(/<html[^>]*class="dark"/);
});

test('axe finds no serious or critical accessibility problems on any public page', async ({ page }) => {
  test.setTimeout(240_000);
  const insights = await (await page.request.get('/insights')).text();
  const caseStudies = await (await page.request.get('/case-studies')).text();
  const extra = [
    insights.match(/href="(\/insights\/[a-z0-9-]+)"/)![1],
    caseStudies.match(/href="(\/case-studies\/[a-z0-9-]+)"/)![1],
  ];
  for (const path of [...PUBLIC_PAGES, ...extra]) {
    for (const dark of [false, true]) {
      await page.context().addCookies([{ name: 'fx_theme', value: dark ? 'dark' : 'light', url: process.env.BASE_URL ?? 'http://127.0.0.1:3000' }]);
      await page.goto(path);
      const results = await new AxeBuilder({ page }).analyze();
      const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad.map((v) => `${path}${dark ? ' (dark)' : ''}: ${v.id} ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    }
  }
});
