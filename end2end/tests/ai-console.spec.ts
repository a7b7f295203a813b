import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, signInWithCode } from './helpers';

// Signing in the admin may wait for a fresh two-factor code, so the admin's journeys share one
// signed-in page and run in order.
test.setTimeout(120_000);
test.describe.configure({ mode: 'serial' });

let admin: Page;
test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  admin = await (await browser.newContext()).newPage();
  await signInWithCode(admin, 'admin@demo.fluxorae.test', '/admin/ai');
  await expect(admin.getByRole('heading', { name: 'AI console', level: 1 })).toBeVisible();
});
test.afterAll(async () => {
  await admin.context().close();
});

async function openConsole(): Promise<Page> {
  await admin.goto('/admin/ai');
  await hydrated(admin);
  return admin;
}

test('an admin tries an analyzer, accepts its answer, and finds the run in the log', async () => {
  const page = await openConsole();
  await expect(page.getByText('No model is configured (AI_BASE_URL)')).toBeVisible();

  const input = page.getByLabel('Input (JSON)');
  // Bad input is refused at its field and kept as typed.
  await input.fill('{oops');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.locator('#try-input-error')).toContainText('This is not valid JSON');
  await expect(input).toHaveValue('{oops');
  await input.fill('{"txt": "hello"}');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.locator('#try-input-error')).toContainText('missing field `text`');

  // A Spanish follow-up with an email address in it.
  await input.fill('{"text": "Hola, ¿alguna novedad sobre la propuesta? Escríbanme a ana@example.com"}');
  await page.getByRole('button', { name: 'Run' }).click();
  const answer = page.getByRole('region', { name: 'Answer' });
  await expect(answer).toContainText('Answered by the built-in engine');
  await expect(answer.getByLabel('Output')).toContainText('"intent": "follow_up"');
  await expect(answer.getByLabel('Output')).toContainText('"code": "es"');
  await answer.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Your decision is recorded.' })).toBeVisible();

  // The figures count the decision.
  const row = page.getByRole('table', { name: 'Analyzers' }).getByRole('row', { name: /Inbox message analysis/ });
  await expect(row).toContainText('100%');

  await page.getByRole('link', { name: 'Open this run' }).click();
  await expect(page.getByRole('heading', { name: 'Inbox message analysis run' })).toBeVisible();
  await expect(page.getByText(/accepted by Ada Admin/)).toBeVisible();
  const logged = page.getByLabel('Input', { exact: true });
  await expect(logged).toContainText('[email]');
  await expect(logged).not.toContainText('ana@example.com');

  // The log filters by analyzer and decision.
  await page.goto('/admin/ai?analyzer=message&decision=accepted');
  const runs = page.getByRole('table', { name: 'Runs' }).getByRole('row');
  await expect(runs).toHaveCount(2); // the header and our run
  await expect(runs.nth(1)).toContainText('accepted');
  await page.goto('/admin/ai?analyzer=support');
  await expect(page.getByText('No runs match these filters.')).toBeVisible();
});

test('an edit must still follow the schema; a valid edit is recorded as edited', async () => {
  const page = await openConsole();
  await page.getByLabel('Analyzer to run').selectOption('qualify');
  await expect(page.getByLabel('Input (JSON)')).toHaveValue(/budget 2 lakh/);
  await page.getByRole('button', { name: 'Run' }).click();
  const answer = page.getByRole('region', { name: 'Answer' });
  await expect(answer.getByLabel('Output')).toContainText('"band"');
  await answer.getByText('Edit, then accept').click();
  const edited = answer.getByLabel('Edited answer (JSON)');
  await expect(edited).toHaveValue(/"confidence"/);
  const valid = await edited.inputValue();
  await edited.fill('{"output": {}}');
  await answer.getByRole('button', { name: 'Save the edit' }).click();
  await expect(page.locator('#edit-answer-error')).toContainText("does not follow the analyzer's schema");
  await edited.fill(valid.replace(/"score": \d+/, '"score": 99'));
  await answer.getByRole('button', { name: 'Save the edit' }).click();
  await page.getByRole('link', { name: 'Open this run' }).click();
  await expect(page.getByText(/edited by Ada Admin/)).toBeVisible();
  await expect(page.getByLabel('Edited output')).toContainText('"score": 99');
});

test('an admin switches an analyzer\'s model engine off and on', async () => {
  const page = await openConsole();
  await page.getByRole('button', { name: 'Turn model off for Reply drafting' }).click();
  await expect(page.getByRole('button', { name: 'Turn model on for Reply drafting' })).toBeVisible();
  await page.getByRole('button', { name: 'Turn model on for Reply drafting' }).click();
  await expect(page.getByRole('button', { name: 'Turn model off for Reply drafting' })).toBeVisible();
});

test('the AI console is for platform admins only', async ({ page }) => {
  await page.goto('/admin/ai');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await signIn(page, 'customer@demo.fluxorae.test');
  await expect(page).not.toHaveURL(/\/signin/);
  await page.goto('/admin/ai');
  await expect(page.getByRole('heading', { name: 'You do not have access to this page' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Analyzers' })).toHaveCount(0);
});

test('an admin tops up a sales team and moves it to another plan', async () => {
  const page = admin;
  await page.goto('/admin');
  await hydrated(page);
  await page.getByRole('link', { name: "Teams' tokens: plans and top-ups" }).click();
  await expect(page.getByRole('heading', { name: "Teams' tokens", level: 1 })).toBeVisible();
  await hydrated(page);
  const acme = page.getByTestId('team-tokens').filter({ hasText: 'Acme Sales' });
  await expect(acme.getByTestId('plan')).toHaveText('Scale plan: 500,000 tokens a month, at most 50,000 a day.');
  // The demo's messages, scores and routings were charged by the rate card.
  const received = acme.getByTestId('by-operation').getByRole('row', { name: /WhatsApp message received/ });
  await expect(received).toContainText('0.1');

  // A top-up of no tokens and no reason is refused at its fields, and kept as typed.
  const form = page.locator('form').filter({ hasText: 'Add tokens' });
  await page.locator('#top-up-team').selectOption({ label: 'Acme Sales' });
  await form.getByLabel('Tokens').fill('0');
  await form.getByRole('button', { name: 'Add tokens' }).click();
  await expect(page.locator('#field-tokens-error')).toHaveText('Enter a whole number of tokens from 1 to 1,000,000.');
  await expect(page.locator('#field-note-error')).toContainText('Say why');
  await expect(form.getByLabel('Tokens')).toHaveValue('0');
  await form.getByLabel('Tokens').fill('2,500');
  await form.getByLabel('Why (the team sees it)').fill('Goodwill after the outage');
  await form.getByRole('button', { name: 'Add tokens' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added.' })).toBeVisible();
  await expect(acme.getByTestId('topups')).toContainText('2,500 tokens: Goodwill after the outage');
  await expect(acme.getByTestId('month')).toContainText('of 502,500 tokens');
});
