import { test, expect, Page, Browser } from '@playwright/test';
import { hydrated, person, signInAs } from './helpers';

// From brief to paid milestone: the customer's wizard (edit, autosave, a declined card, fund),
// ops assigning the suggested freelancer, the delivery, QA, the customer's approval arriving
// live, and the freelancer's earnings minus the platform fee.

const BRIEF =
  'We need an online store for our handmade ceramics with Stripe payments, product pages, a blog and SEO. Launch in about two months.';

function milestone(page: Page, n: number) {
  return page.getByTestId('milestone').nth(n);
}

test('a brief becomes a funded project, delivered, passed by QA, approved and paid minus the fee', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAs(page, 'customer@demo.fluxorae.test', '/projects/new');

  // Too short a brief is refused at the field and kept.
  await page.getByLabel('What do you need?').fill('A shop');
  await page.getByRole('button', { name: 'Draft the scope' }).click();
  await expect(page.locator('#field-brief-error')).toContainText('Tell us a little more');
  await expect(page.getByLabel('What do you need?')).toHaveValue('A shop');

  await page.getByLabel('What do you need?').fill(BRIEF);
  await page.getByRole('button', { name: 'Draft the scope' }).click();
  await expect(page.getByTestId('analysis')).toContainText('Suggested by AI');
  await expect(page).toHaveURL(/\/projects\/new\?draft=/);

  // The customer edits the scope; it autosaves.
  await page.getByLabel('Project name').fill('Ceramics store');
  await page.locator('#field-m0-amount').fill('1,500');
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved', { timeout: 15_000 });
  // A price that does not read is flagged and kept as typed.
  await page.locator('#field-m0-amount').fill('1.500.00');
  await expect(page.locator('#field-m0-amount-error')).toBeVisible();
  await expect(page.locator('#field-m0-amount')).toHaveValue('1.500.00');
  await page.locator('#field-m0-amount').fill('1,500');
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved', { timeout: 15_000 });

  // The edit survives a reload.
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Project name')).toHaveValue('Ceramics store');

  // A declined card says why, and nothing is created.
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: 'Confirm and fund' }).click();
  await expect(page.locator('#field-card-error')).toContainText('declined');
  await expect(page.getByLabel('Project name')).toHaveValue('Ceramics store');

  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Confirm and fund' }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  const projectUrl = new URL(page.url()).pathname;
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Ceramics store', level: 1 })).toBeVisible();
  await expect(milestone(page, 0).getByTestId('milestone-status')).toHaveText('Funded');
  await expect(milestone(page, 0)).toContainText('$1,500.00');

  // Someone who is not on the project cannot open it.
  const outsider = await person(browser, 'expert@demo.fluxorae.test', '/account');
  await outsider.page.goto(projectUrl);
  await expect(outsider.page.getByText('404')).toBeVisible();
  await outsider.context.close();

  // Ops assigns the freelancer the matcher suggests.
  const ops = await person(browser, 'employee@demo.fluxorae.test', projectUrl);
  await ops.page.getByRole('button', { name: 'Suggest freelancers' }).click();
  await ops.page.getByRole('button', { name: 'Assign Fern Freelancer' }).click();
  await expect(ops.page.getByTestId('members')).toContainText('Fern Freelancer (freelancer)');
  // The new project came with a suggested PM (advisory): ops accept it on the alerts page.
  await ops.page.goto('/admin/alerts');
  await hydrated(ops.page);
  const suggestion = ops.page.getByTestId('alert').filter({ hasText: 'suggested as PM for Ceramics store' });
  await expect(suggestion).toContainText('Emil Employee leads 0 active projects');
  await suggestion.getByRole('button', { name: 'Make Emil Employee the PM' }).click();
  await expect(suggestion).toHaveAttribute('data-status', 'accepted');
  await ops.page.goto(projectUrl);
  await hydrated(ops.page);
  await expect(ops.page.getByTestId('members')).toContainText('Emil Employee (pm)');
  await expect(ops.page.getByTestId('activity')).toContainText("Emil Employee made Emil Employee the project's PM");

  // The freelancer joins; a chat message from the customer appears for them without a reload,
  // with who is online, who is typing, and who has seen it.
  const fern = await person(browser, 'freelancer@demo.fluxorae.test', projectUrl);
  await expect(fern.page.locator('html')).toHaveAttribute('data-live', 'open');
  await expect(page.locator('html')).toHaveAttribute('data-live', 'open');
  await expect(page.getByTestId('presence')).toContainText('Fern Freelancer');
  await page.getByLabel('Message', { exact: true }).pressSequentially('Welcome, Fern');
  await expect(fern.page.getByTestId('typing')).toHaveText('Cai Customer is typing…');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await expect(fern.page.getByTestId('message-body').last()).toHaveText('Welcome, Fern', { timeout: 5_000 });
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('');
  await expect(page.getByTestId('seen-by')).toContainText('Fern Freelancer');
  // The customer corrects it; the freelancer sees the edit live and can read the earlier text.
  await page.getByTestId('message').last().getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Edit message').fill('Welcome aboard, Fern');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(fern.page.getByTestId('message-body').last()).toHaveText('Welcome aboard, Fern');
  await fern.page.getByTestId('message').last().getByRole('button', { name: 'History' }).click();
  await expect(fern.page.getByTestId('message').last()).toContainText('Welcome, Fern');

  // Files go with messages: a program is refused and the text stays; a text file goes with
  // the message, arrives live for the customer, and downloads for them.
  const composer = fern.page.getByLabel('Message', { exact: true });
  await composer.fill('My notes on the brief');
  await fern.page.getByLabel('Attach a file').setInputFiles({ name: 'setup.png', mimeType: 'image/png', buffer: Buffer.from('MZ\x90\x00 not an image') });
  await fern.page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(fern.page.locator('#chat-file-error')).toContainText('setup.png is not a file type the workspace takes');
  await expect(composer).toHaveValue('My notes on the brief');
  const notesText = 'Checkout first, then the blog.\n';
  await fern.page.getByLabel('Attach a file').setInputFiles({ name: 'brief-notes.txt', mimeType: 'text/plain', buffer: Buffer.from(notesText) });
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
  const sent = page.getByTestId('message').filter({ hasText: 'My notes on the brief' });
  await expect(sent.getByTestId('attachment')).toContainText('brief-notes.txt');
  const notesHref = await sent.getByRole('link', { name: 'brief-notes.txt' }).getAttribute('href');
  const notesFile = await page.request.get(notesHref!);
  expect(notesFile.status()).toBe(200);
  expect(await notesFile.text()).toBe(notesText);

  // Tasks: a task without a title is refused at the field and what was typed stays; a good one
  // appears on the customer's board live, and so does its move to another column.
  const tasks = fern.page.getByRole('region', { name: /^Tasks/ });
  await tasks.getByLabel('Notes (optional)').fill('Home, product and checkout pages');
  await tasks.getByRole('button', { name: 'Add task' }).click();
  await expect(fern.page.locator('#task-new-title-error')).toHaveText('Say what is to be done.');
  await expect(tasks.getByLabel('Notes (optional)')).toHaveValue('Home, product and checkout pages');
  await tasks.getByLabel('Task', { exact: true }).fill('Build the storefront');
  await tasks.getByLabel('Assignee').selectOption({ label: 'Fern Freelancer (freelancer)' });
  await tasks.getByLabel('Due').fill('2030-01-15');
  await tasks.getByLabel('Priority').selectOption('high');
  await tasks.getByRole('button', { name: 'Add task' }).click();
  await expect(tasks.getByLabel('Task', { exact: true })).toHaveValue('');
  const todo = page.locator('[data-testid="task-column"][data-status="todo"]');
  await expect(todo.getByTestId('task-title')).toHaveText('Build the storefront');
  await expect(todo.getByTestId('task')).toContainText('Due 2030-01-15');
  await tasks.getByRole('button', { name: 'Move to In progress' }).click();
  const doing = page.locator('[data-testid="task-column"][data-status="doing"]');
  await expect(doing.getByTestId('task-title')).toHaveText('Build the storefront');
  await expect(page.getByTestId('activity')).toContainText('Fern Freelancer moved “Build the storefront” to In progress');
  // The customer may not move the freelancer's task.
  await expect(doing.getByRole('button', { name: 'Move to Done' })).toHaveCount(0);

  // Files: a program is refused with a message; a PDF is shared and the customer downloads it.
  // The file chosen stays chosen when a live change redraws the workspace before it is shared.
  const files = fern.page.getByRole('region', { name: /^Files/ });
  await files.getByLabel('Share a file').setInputFiles({ name: 'setup.png', mimeType: 'image/png', buffer: Buffer.from('MZ\x90\x00 not an image') });
  await tasks.getByRole('button', { name: 'Move to Done' }).click();
  await expect(fern.page.getByTestId('activity')).toContainText('Fern Freelancer moved “Build the storefront” to Done');
  await expect(fern.page.locator('[data-testid="task-column"][data-status="done"]').getByTestId('task-title')).toHaveText('Build the storefront');
  await files.getByRole('button', { name: 'Share file' }).click();
  await expect(fern.page.locator('#file-upload-error')).toContainText('setup.png is not a file type the workspace takes');
  const pdf = '%PDF-1.7\n1 0 obj << >> endobj\n';
  await files.getByLabel('Share a file').setInputFiles({ name: 'Sitemap.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) });
  await files.getByRole('button', { name: 'Share file' }).click();
  const shared = page.getByTestId('file').filter({ hasText: 'Sitemap.pdf' });
  await expect(shared).toContainText('Fern Freelancer');
  const href = await shared.getByRole('link', { name: 'Sitemap.pdf' }).getAttribute('href');
  const download = await page.request.get(href!);
  expect(download.status()).toBe(200);
  expect(download.headers()['content-type']).toBe('application/pdf');
  expect(await download.text()).toBe(pdf);
  // Nobody off the project can fetch it.
  const stranger = await person(browser, 'expert@demo.fluxorae.test', '/account');
  expect((await stranger.page.request.get(href!)).status()).toBe(404);
  await stranger.context.close();

  // The freelancer starts and delivers.
  await milestone(fern.page, 0).getByRole('button', { name: 'Start work' }).click();
  await expect(milestone(fern.page, 0).getByTestId('milestone-status')).toHaveText('In progress');
  await milestone(fern.page, 0).getByRole('button', { name: 'Submit for review' }).click();
  await expect(milestone(fern.page, 0)).toContainText('Say what you delivered');
  await milestone(fern.page, 0).getByLabel('What you delivered').fill('The written plan: the scope, the schedule and what the customer will supply, approved by the customer.');
  await milestone(fern.page, 0).getByLabel('Links (one per line)').fill('https://staging.example.com');
  // A live change (a task added) redraws the workspace; what was typed stays.
  await tasks.getByLabel('Task', { exact: true }).fill('Write the handover notes');
  await tasks.getByRole('button', { name: 'Add task' }).click();
  await expect(fern.page.locator('[data-testid="task-column"][data-status="todo"]').getByTestId('task-title')).toHaveText('Write the handover notes');
  await expect(milestone(fern.page, 0).getByLabel('What you delivered')).toHaveValue('The written plan: the scope, the schedule and what the customer will supply, approved by the customer.');
  await expect(milestone(fern.page, 0).getByLabel('Links (one per line)')).toHaveValue('https://staging.example.com');
  await milestone(fern.page, 0).getByRole('button', { name: 'Submit for review' }).click();
  await expect(milestone(fern.page, 0).getByTestId('milestone-status')).toHaveText('Submitted for QA');

  // QA: the analyzer's suggestion is shown; taking it ticks the criteria it found met and only
  // those; the reviewer then checks every criterion and passes it.
  await ops.page.reload();
  await hydrated(ops.page);
  const m = milestone(ops.page, 0);
  const advice = m.getByLabel('QA suggestion (AI, advisory)');
  await expect(advice).toBeVisible();
  const verdicts = await advice.getByRole('listitem').allInnerTexts();
  // The delivery notes cover the criteria, so the suggestion ticks boxes nobody has ticked yet.
  expect(verdicts.some((v) => v.endsWith(': met'))).toBe(true);
  for (const box of await m.getByRole('checkbox').all()) await expect(box).not.toBeChecked();
  await advice.getByRole('button', { name: 'Use this suggestion' }).click();
  for (const verdict of verdicts) {
    const [, criterion, status] = verdict.match(/^(.*): (met|unclear|missing)$/)!;
    const box = m.getByRole('checkbox', { name: criterion, exact: true });
    if (status === 'met') await expect(box).toBeChecked();
    else await expect(box).not.toBeChecked();
  }
  for (const box of await m.getByRole('checkbox').all()) await box.check();
  await m.getByRole('button', { name: 'Pass QA' }).click();
  await expect(m.getByTestId('milestone-status')).toHaveText('Awaiting approval');

  // The customer's open page follows without a reload, and they approve.
  await expect(milestone(page, 0).getByTestId('milestone-status')).toHaveText('Awaiting approval', { timeout: 15_000 });
  await expect(milestone(page, 0)).toContainText('Platform fee 20%: $300.00; the freelancer receives $1,200.00.');
  await milestone(page, 0).getByRole('button', { name: 'Approve and release' }).click();
  await expect(milestone(page, 0).getByTestId('milestone-status')).toHaveText('Released');

  // The freelancer sees their earnings minus the fee, and is paid out.
  await fern.page.goto('/earnings');
  await hydrated(fern.page);
  await expect(fern.page.getByTestId('gross')).toHaveText('$1,500.00');
  await expect(fern.page.getByTestId('fees')).toHaveText('$300.00');
  await expect(fern.page.getByTestId('net')).toHaveText('$1,200.00');
  await fern.page.getByLabel('Amount to pay out (USD)').fill('2000');
  await fern.page.getByRole('button', { name: 'Request payout' }).click();
  await expect(fern.page.locator('#field-amount-error')).toHaveText('You can be paid at most $1,200.00 now.');
  // Paid only to an account of theirs at the payment provider (ready at once offline).
  await fern.page.getByLabel('Amount to pay out (USD)').fill('1200');
  await fern.page.getByRole('button', { name: 'Request payout' }).click();
  await expect(fern.page.locator('#field-amount-error')).toHaveText('Set up where you are paid first (Set up payouts).');
  await fern.page.getByRole('button', { name: 'Set up payouts' }).click();
  await expect(fern.page.getByTestId('payout-account')).toHaveText('Payouts go to your connected account at the payment provider, then to your bank.');
  await fern.page.getByLabel('Amount to pay out (USD)').fill('1200');
  await fern.page.getByRole('button', { name: 'Request payout' }).click();
  await expect(fern.page.getByTestId('available')).toHaveText('$0.00');
  await expect(fern.page.getByTestId('paid-out')).toHaveText('$1,200.00');

  // Receipts and invoices: the customer's receipt for the payment and the freelancer's fee
  // invoice, each a page and a PDF, each only for its own reader.
  await page.reload();
  await hydrated(page);
  const receipt = page.getByTestId('document-link').filter({ hasText: 'Receipt for 1 milestone' });
  await expect(receipt).toContainText('$1,500.00');
  await expect(page.locator('[data-testid="document-link"][data-kind="fee_invoice"]')).toHaveCount(0);
  await receipt.getByRole('link', { name: 'Receipt for 1 milestone' }).click();
  await page.waitForURL(/\/documents\/receipt\/[0-9a-f-]{36}$/);
  const receiptUrl = new URL(page.url()).pathname;
  await expect(page.getByTestId('document-number')).toContainText(/No\. R-\d{4}-\d{6}/);
  await expect(page.getByTestId('document')).toContainText('Cai Customer');
  await expect(page.getByTestId('document-total')).toHaveText('$1,500.00');
  const receiptPdf = await page.request.get(`${receiptUrl}/pdf`);
  expect(receiptPdf.status()).toBe(200);
  expect(receiptPdf.headers()['content-type']).toBe('application/pdf');
  expect((await receiptPdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
  expect((await fern.page.request.get(`${receiptUrl}/pdf`)).status()).toBe(404);

  await fern.page.goto(projectUrl);
  await hydrated(fern.page);
  const invoice = fern.page.locator('[data-testid="document-link"][data-kind="fee_invoice"]');
  await expect(invoice).toContainText('$300.00');
  await invoice.getByRole('link', { name: /Fee invoice for/ }).click();
  await fern.page.waitForURL(/\/documents\/fee_invoice\//);
  await expect(fern.page.getByTestId('document-total')).toHaveText('$300.00');
  await expect(fern.page.getByTestId('document')).toContainText('$1,200.00 added to your balance');

  await ops.context.close();
  await fern.context.close();
});

// A refund after release: ops take an approved milestone back with a reason; the customer is
// repaid and gets a credit note, the freelancer's earnings show it and they get the fee back
// on a fee credit note.
test('ops refund a released milestone; the customer gets a credit note and the freelancer the fee back', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAs(page, 'customer@demo.fluxorae.test', '/projects/new');
  await page.getByLabel('What do you need?').fill(BRIEF);
  await page.getByRole('button', { name: 'Draft the scope' }).click();
  await expect(page.getByTestId('analysis')).toContainText('Suggested by AI');
  await page.getByLabel('Project name').fill('Refunded storefront');
  await page.locator('#field-m0-amount').fill('800');
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved', { timeout: 15_000 });
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Confirm and fund' }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  const projectUrl = new URL(page.url()).pathname;
  await hydrated(page);

  const ops = await person(browser, 'employee@demo.fluxorae.test', projectUrl);
  await ops.page.getByRole('button', { name: 'Suggest freelancers' }).click();
  await ops.page.getByRole('button', { name: 'Assign Fern Freelancer' }).click();
  await expect(ops.page.getByTestId('members')).toContainText('Fern Freelancer (freelancer)');

  // The AI risk check is for staff and advisory: it runs on request and ops decide.
  const riskPanel = ops.page.getByTestId('risk');
  await expect(riskPanel).toContainText('Not checked yet.');
  await riskPanel.getByRole('button', { name: 'Check risk now' }).click();
  await expect(riskPanel.getByTestId('risk-level')).toHaveText(/^(low|medium|high) risk$/);
  await riskPanel.getByRole('button', { name: 'Dismiss' }).click();
  await expect(riskPanel.getByTestId('risk-decision')).toHaveText('Dismissed.');
  await expect(page.getByTestId('risk')).toHaveCount(0);

  const fern = await person(browser, 'freelancer@demo.fluxorae.test', projectUrl);
  await expect(fern.page.getByTestId('risk')).toHaveCount(0);
  await milestone(fern.page, 0).getByRole('button', { name: 'Start work' }).click();
  await expect(milestone(fern.page, 0).getByTestId('milestone-status')).toHaveText('In progress');
  await milestone(fern.page, 0).getByLabel('What you delivered').fill('The storefront theme is on the staging site.');
  await milestone(fern.page, 0).getByRole('button', { name: 'Submit for review' }).click();
  await expect(milestone(fern.page, 0).getByTestId('milestone-status')).toHaveText('Submitted for QA');

  await ops.page.reload();
  await hydrated(ops.page);
  for (const box of await milestone(ops.page, 0).getByRole('checkbox').all()) await box.check();
  await milestone(ops.page, 0).getByRole('button', { name: 'Pass QA' }).click();
  await expect(milestone(ops.page, 0).getByTestId('milestone-status')).toHaveText('Awaiting approval');
  await expect(milestone(page, 0).getByTestId('milestone-status')).toHaveText('Awaiting approval', { timeout: 15_000 });
  await milestone(page, 0).getByRole('button', { name: 'Approve and release' }).click();
  await expect(milestone(page, 0).getByTestId('milestone-status')).toHaveText('Released');
  // Only staff may take a release back.
  await expect(milestone(page, 0).getByRole('button', { name: 'Refund after release' })).toHaveCount(0);

  // Ops must say why; then the release is taken back and the customer refunded.
  const m = milestone(ops.page, 0);
  await expect(m.getByTestId('milestone-status')).toHaveText('Released', { timeout: 15_000 });
  await m.getByRole('button', { name: 'Refund after release' }).click();
  await expect(m).toContainText('Say why the customer is refunded');
  await m.getByLabel('Note').fill('The theme was bought, not built, against the agreement.');
  await m.getByRole('button', { name: 'Refund after release' }).click();
  await expect(m.getByTestId('milestone-status')).toHaveText('Refunded');
  await expect(milestone(page, 0).getByTestId('milestone-status')).toHaveText('Refunded', { timeout: 15_000 });
  await expect(milestone(page, 0).getByTestId('refund')).toHaveText('Refund of $800.00: paid back to the card.');

  // The customer's credit note, a page and a PDF, names the receipt it credits.
  await page.reload();
  await hydrated(page);
  const credit = page.locator('[data-testid="document-link"][data-kind="credit_note"]');
  await expect(credit).toContainText('$800.00');
  await credit.getByRole('link', { name: /Credit note for/ }).click();
  await page.waitForURL(/\/documents\/credit_note\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('document-number')).toContainText(/No\. CN-\d{4}-\d{6}/);
  await expect(page.getByTestId('document-total')).toHaveText('$800.00');
  await expect(page.getByTestId('document')).toContainText('returned after its release');
  const creditUrl = new URL(page.url()).pathname;
  const creditPdf = await page.request.get(`${creditUrl}/pdf`);
  expect(creditPdf.status()).toBe(200);
  expect((await creditPdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
  expect((await fern.page.request.get(creditUrl)).status()).toBe(404);

  // The freelancer's earnings say what went back, and the fee comes back on a credit note.
  await fern.page.goto('/earnings');
  await hydrated(fern.page);
  const line = fern.page.getByRole('row').filter({ hasText: 'Refunded storefront' });
  await expect(line.getByTestId('earning-note')).toHaveText('$800.00 refunded to the customer');
  await expect(fern.page.getByTestId('available')).toHaveText('$0.00');
  await fern.page.goto(projectUrl);
  await hydrated(fern.page);
  const feeCredit = fern.page.locator('[data-testid="document-link"][data-kind="fee_credit_note"]');
  await expect(feeCredit).toContainText('$160.00');
  await feeCredit.getByRole('link', { name: /Fee credit note for/ }).click();
  await fern.page.waitForURL(/\/documents\/fee_credit_note\//);
  await expect(fern.page.getByTestId('document-total')).toHaveText('$160.00');
  await expect(fern.page.getByTestId('document')).toContainText('$640.00 was taken from your balance');

  await ops.context.close();
  await fern.context.close();
});
