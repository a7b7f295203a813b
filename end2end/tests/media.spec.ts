import { test, expect, Page, Browser } from '@playwright/test';
import { deflateSync } from 'node:zlib';
import { hydrated, signIn } from './helpers';

// The media library and reusable blocks: an editor uploads an image (bad files and missing
// descriptions are refused with a reason), places it on a page from the library, publishes,
// and a visitor sees it described; a reusable block edited once changes every page that shows it.

const EDITOR = 'editor@demo.fluxorae.test';
test.use({ viewport: { width: 1280, height: 1600 } });

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A real PNG of `w`×`h` in one colour, that a browser draws. */
function png(w: number, h: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function openEditorAt(page: Page, link: string) {
  await signIn(page, EDITOR, undefined, '/editor');
  await expect(page.getByRole('heading', { name: 'Site editor' })).toBeVisible();
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Site content' }).getByRole('link', { name: link }).click();
  await expect(page.getByRole('heading', { level: 1, name: link })).toBeVisible();
}

async function visitor(browser: Browser, path: string) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(path);
  return { context, page };
}

test('an editor uploads an image, places it from the library, and a visitor sees it described', async ({ page, browser }) => {
  await openEditorAt(page, 'Media library');
  await expect(page.getByText('No images yet.')).toBeVisible();
  const upload = page.getByRole('region', { name: 'Upload an image' });
  const file = upload.getByLabel('Image', { exact: true });
  const alt = upload.getByLabel('Description (alt text) *');

  // No description: said at the field, nothing sent.
  await file.setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: png(64, 40, [30, 90, 200]) });
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(upload.getByText('Describe what the image shows, for people who cannot see it.')).toBeVisible();
  await expect(alt).toHaveAttribute('aria-invalid', 'true');

  // A file that only claims to be a PNG: the server reads its bytes and says so.
  await file.setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('<svg><script>alert(1)</script></svg>') });
  await alt.fill('A bar chart of delivery times falling');
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(upload.getByText('This file is not a PNG, JPEG, WebP, GIF or AVIF image.')).toBeVisible();
  await expect(alt).toHaveValue('A bar chart of delivery times falling');

  await file.setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: png(64, 40, [30, 90, 200]) });
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByText('chart.png is in the library.')).toBeVisible();
  const item = page.locator('[data-test=media-item]');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('64 × 40');
  await expect(item).toContainText('PNG');
  await expect(item.locator('[data-test=media-used]')).toHaveText('Not shown on any page');
  await expect(item.getByRole('img', { name: 'A bar chart of delivery times falling' })).toBeVisible();

  // Place it on the contact page from the library.
  await page.goto('/editor');
  await hydrated(page);
  await page.getByRole('row').filter({ has: page.getByText('/contact', { exact: true }) }).getByRole('link').click();
  await expect(page.locator('[data-test=editor]')).toBeVisible();
  await hydrated(page);
  await page.getByRole('button', { name: '+ Image' }).click();
  const form = page.locator('[data-test=block-form]');
  await expect(form.getByRole('heading', { name: 'Image' })).toBeVisible();
  await form.getByRole('button', { name: 'Media library…' }).click();
  await form.getByRole('button', { name: 'Use chart.png: A bar chart of delivery times falling' }).click();
  await expect(form.getByLabel('Image *')).toHaveValue(/^\/media\/[0-9a-f]{32}\.png$/);
  await expect(form.getByLabel('Description (alt text) *')).toHaveValue('A bar chart of delivery times falling');
  await expect(form.locator('[data-test=media-thumb]')).toBeVisible();
  await expect(page.locator('[data-test=save-state]')).toHaveText('All changes saved', { timeout: 15_000 });
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('[data-test=notice]')).toContainText('is live');

  const v = await visitor(browser, '/contact');
  const shown = v.page.getByRole('img', { name: 'A bar chart of delivery times falling' });
  await expect(shown).toBeVisible();
  expect(await shown.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(64);
  await v.context.close();

  // The library now says where it is shown, and offers no delete.
  await page.goto('/editor/media');
  await hydrated(page);
  await expect(item.locator('[data-test=media-used]')).toHaveText('Shown on Contact Fluxorae');
  await expect(item.getByRole('button', { name: 'Delete…' })).toHaveCount(0);

  // A better description is saved for the next time it is placed.
  await item.getByLabel('Description (alt text)').fill('Delivery times fell from 9 days to 3');
  await item.getByRole('button', { name: 'Save description' }).click();
  await expect(item.getByText('Saved', { exact: true })).toBeVisible();
  await page.reload();
  await expect(item.getByLabel('Description (alt text)')).toHaveValue('Delivery times fell from 9 days to 3');
});

test('an unused image is deleted after a second thought', async ({ page }) => {
  await openEditorAt(page, 'Media library');
  const upload = page.getByRole('region', { name: 'Upload an image' });
  await upload.getByLabel('Image', { exact: true }).setInputFiles({ name: 'spare.png', mimeType: 'image/png', buffer: png(20, 20, [200, 40, 40]) });
  await upload.getByLabel('Description (alt text) *').fill('A red square');
  await upload.getByRole('button', { name: 'Upload' }).click();
  const item = page.locator('[data-test=media-item]').filter({ hasText: 'spare.png' });
  await expect(item).toBeVisible();
  await item.getByRole('button', { name: 'Delete…' }).click();
  await item.getByRole('button', { name: 'Keep' }).click();
  await expect(item).toBeVisible();
  await item.getByRole('button', { name: 'Delete…' }).click();
  await item.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(item).toHaveCount(0);
});

test('a reusable block edited once changes every page that shows it', async ({ page, browser }) => {
  await openEditorAt(page, 'Reusable blocks');
  const row = page.locator('[data-test=global-row]').filter({ hasText: 'Closing call to action' });
  await expect(row).toContainText(/On \d+ pages/);
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'Reusable block: Closing call to action' })).toBeVisible();
  await hydrated(page);

  const save = page.getByRole('button', { name: 'Save for every page' });
  await expect(save).toBeDisabled();
  // A reusable block needs a name.
  const name = page.getByLabel('Name (for editors) *');
  await name.fill('');
  await expect(page.getByText('Give the reusable block a name of up to 80 characters.')).toBeVisible();
  await expect(save).toBeDisabled();
  await name.fill('Closing call to action');

  const form = page.locator('[data-test=block-form]');
  await form.getByLabel('Heading *').fill('Ready when you are');
  await expect(page.locator('[data-test=save-state]')).toHaveText('Unsaved changes');
  await save.click();
  await expect(page.locator('[data-test=notice]')).toHaveText('Saved. Every page that shows “Closing call to action” shows it now.');
  await expect(page.locator('[data-test=save-state]')).toHaveText('All changes saved');

  for (const path of ['/services', '/pricing']) {
    const v = await visitor(browser, path);
    await expect(v.page.getByRole('heading', { name: 'Ready when you are' })).toBeVisible();
    await expect(v.page.getByText('Have a project in mind?')).toHaveCount(0);
    await v.context.close();
  }
});
