import { test, expect, Page, Browser } from '@playwright/test';
import { hydrated, signIn } from './helpers';

// The block editor: drag and drop, keyboard moves, field edits with autosave, publish, the
// public page following, rollback, undo, the preview, and two editors on one page.

const EDITOR = 'editor@demo.fluxorae.test';

// Tall enough that the outline's source and target are on screen together during a drag.
test.use({ viewport: { width: 1280, height: 1600 } });

/** Drags with the mouse, the way a person does: press, move a little, move to the target, release. */
async function drag(page: Page, source: string, target: string) {
  const from = (await page.locator(source).boundingBox())!;
  const to = (await page.locator(target).boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + 20, from.y - 20, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 10 });
  await page.mouse.move(to.x + to.width / 2 + 2, to.y + to.height / 2, { steps: 2 });
  await page.mouse.up();
}

async function openPage(page: Page, path: string) {
  await signIn(page, EDITOR, undefined, '/editor');
  await expect(page.getByRole('heading', { name: 'Site editor' })).toBeVisible();
  await hydrated(page);
  await page.getByRole('row').filter({ has: page.getByText(path, { exact: true }) }).getByRole('link').click();
  await expect(page.locator('[data-test=editor]')).toBeVisible();
  await hydrated(page);
}

/** The ids of the page's own blocks, top to bottom, as the outline shows them. */
async function topLevel(page: Page): Promise<string[]> {
  return page.locator('[data-test=outline] > ul > li > div[data-block]').evaluateAll((els) => els.map((e) => e.getAttribute('data-block') ?? ''));
}

async function saved(page: Page) {
  await expect(page.locator('[data-test=save-state]')).toHaveText('All changes saved', { timeout: 15_000 });
}

async function visitor(browser: Browser, path: string) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(path);
  return { context, page };
}

test('an editor drags a block, changes the hero title, publishes, and rolls back', async ({ page, browser }) => {
  await openPage(page, '/careers');
  const before = await topLevel(page);
  expect(before.length).toBeGreaterThan(3);
  const last = before[before.length - 1];

  // Drag the last block to the second place on the page.
  await drag(page, `[data-block="${last}"] [data-drag]`, '[data-drop=":1"]');
  await expect.poll(() => topLevel(page)).toEqual([before[0], last, ...before.slice(1, -1)]);

  // Change the hero's title.
  await page.locator(`#outline-${before[0]}`).click();
  const title = page.getByLabel('Title *', { exact: true });
  const oldTitle = await title.inputValue();
  await title.fill('Build what ships, with people who care');
  await saved(page);

  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('[data-test=notice]')).toHaveText('Published. Revision 2 is live.');

  const v = await visitor(browser, '/careers');
  await expect(v.page.getByRole('heading', { level: 1 })).toHaveText('Build what ships, with people who care');
  await v.context.close();

  // The history shows the change, and one click rolls it back.
  const history = page.locator('[data-test=history]');
  await history.getByRole('button', { name: 'Changes in #2' }).click();
  await expect(page.locator('[data-test=diff]')).toContainText('Build what ships, with people who care');
  await expect(page.locator('[data-test=diff]')).toContainText(oldTitle);
  await expect(page.locator('[data-test=diff]')).toContainText('Moved');
  await history.getByRole('button', { name: 'Roll back to #1' }).click();
  await expect(page.locator('[data-test=notice]')).toHaveText('Rolled back: revision 1 is live again as revision 3.');
  await expect(page.locator(`#outline-${before[0]}`)).toBeVisible();
  expect(await topLevel(page)).toEqual(before);

  const w = await visitor(browser, '/careers');
  await expect(w.page.getByRole('heading', { level: 1 })).toHaveText(oldTitle);
  await w.context.close();
});

test('keyboard moves, undo and redo, inline validation and the preview widths', async ({ page }) => {
  await openPage(page, '/about');
  const before = await topLevel(page);
  // Alt+↓ moves the focused block one place down.
  await page.locator(`#outline-${before[1]}`).focus();
  await page.keyboard.press('Alt+ArrowDown');
  await expect.poll(() => topLevel(page)).toEqual([before[0], before[2], before[1], ...before.slice(3)]);
  await expect(page.locator(`#outline-${before[1]}`)).toBeFocused();
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => topLevel(page)).toEqual(before);
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect.poll(() => topLevel(page)).toEqual([before[0], before[2], before[1], ...before.slice(3)]);
  await page.getByRole('button', { name: 'Undo' }).click();

  // An empty required title is reported at the field at once, and nothing is saved.
  await page.locator(`#outline-${before[0]}`).click();
  const title = page.getByLabel('Title *', { exact: true });
  await title.fill('');
  await expect(page.getByText('Title is required.')).toBeVisible();
  await expect(title).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('[data-test=save-state]')).toHaveText('Not saved: fix 1 problem first', { timeout: 5000 });
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(title).not.toHaveValue('');
  await saved(page);

  // The preview draws the draft with the public page's components, at a phone's width.
  const frame = page.frameLocator('iframe[title="Preview of the draft"]');
  await expect(frame.getByRole('heading', { level: 1 })).toBeVisible();
  await page.getByRole('group', { name: 'Preview width' }).getByRole('button', { name: 'Phone' }).click();
  const width = await page.locator('iframe[title="Preview of the draft"]').evaluate((el) => el.getBoundingClientRect().width);
  expect(width).toBeLessThanOrEqual(392);
});

test('two editors on one page: the stale save is refused with a way to reload', async ({ browser }) => {
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  await openPage(a, '/solutions');
  await openPage(b, '/solutions');
  const first = (await topLevel(a))[0];
  await a.locator(`#outline-${first}`).click();
  await a.getByLabel('Subtitle').fill('Editor A was here first.');
  await saved(a);
  await b.locator(`#outline-${first}`).click();
  await b.getByLabel('Subtitle').fill('Editor B did not know.');
  const conflict = b.locator('[data-test=conflict]');
  await expect(conflict).toContainText('saved this page at', { timeout: 15_000 });
  await expect(conflict).toContainText('Reload');
  // B's typing is still in the form, so nothing is lost before B decides.
  await expect(b.getByLabel('Subtitle')).toHaveValue('Editor B did not know.');
  await conflict.getByRole('button', { name: 'Reload the page' }).click();
  await hydrated(b);
  await b.locator(`#outline-${first}`).click();
  await expect(b.getByLabel('Subtitle')).toHaveValue('Editor A was here first.');
  await a.context().close();
  await b.context().close();
});

test('only content editors and admins get the editor', async ({ page }) => {
  await signIn(page, 'customer@demo.fluxorae.test', undefined, '/editor');
  await expect(page.getByRole('heading', { name: 'You do not have access to this page' })).toBeVisible();
  const res = await page.request.post('/api/editor/pages', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: '' });
  expect(res.status()).toBe(403);
});
