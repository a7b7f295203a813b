import { test, expect } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { person, signInAs } from './helpers';

// The unified inbox: an SDR works the conversations routed to them (the score and why, a note,
// tags, resolve), escalated conversations say why, a new HOT lead who writes on WhatsApp reaches
// their open page live, and a manager lists the escalated ones and hands the SDR a lead from the
// AI re-engagement.

const SECRET = process.env.META_APP_SECRET ?? 'e2e-meta-app-secret';
const INBOX = '/teams/acme-sales/inbox';

test('an SDR works their conversations and new leads arrive live', async ({ page, browser, request }) => {
  test.setTimeout(90_000);
  await signInAs(page, 'sdr@acme.fluxorae.test', INBOX);
  await expect(page.locator('html')).toHaveAttribute('data-inbox-live', 'open');
  await expect(page.getByRole('heading', { name: 'Acme Sales inbox' })).toBeVisible();
  await expect(page.getByTestId('online')).toContainText('You are online');

  // The demo's HOT lead was routed to the SDR at once; the COLD one is with the AI, not here.
  const rows = page.getByTestId('conversation');
  const priya = rows.filter({ hasText: 'Priya Nair' });
  await expect(priya).toBeVisible();
  await expect(priya).toHaveAttribute('data-unread', 'true');
  await expect(rows.filter({ hasText: 'Lena Fischer' })).toHaveCount(0);
  // Priya has waited hours for an answer: the leakage scan (at start, then every minute) told
  // the SDR, at the top of the page and on her row.
  await expect(page.getByTestId('leak').filter({ hasText: 'Priya Nair (HOT) is waiting for your answer.' })).toBeVisible();
  await expect(priya.getByTestId('leaking')).toHaveText('· Left waiting');

  await priya.getByRole('link').click();
  const open = page.getByTestId('open-conversation');
  await expect(open.getByTestId('band')).toContainText('HOT');
  await expect(open.getByTestId('factors')).toContainText('Budget of $40,000 stated');
  await expect(open.getByTestId('message')).toContainText('patient booking app');
  await expect(open.getByTestId('routing')).toContainText('Assigned to Sam SDR.');
  await expect(priya).toHaveAttribute('data-unread', 'false');
  // She asked for a call, about patients of her clinics: the conversation is escalated to a
  // person, and says why.
  await expect(priya.getByTestId('escalated')).toHaveText('Escalated: Asked for a call; A medical subject');
  await expect(open.getByTestId('escalation')).toContainText('Escalated to a person');
  await expect(open.getByTestId('escalation').getByRole('listitem')).toHaveText(['Asked for a call', 'A medical subject']);

  // An empty note is refused at the field; a real one shows with who wrote it.
  await open.getByRole('button', { name: 'Add note' }).click();
  await expect(page.locator('#note-error')).toHaveText('Write the note first.');
  const note = page.getByLabel('Private note (the lead never sees it)');
  await note.fill('Call booked for Thursday.');
  await open.getByRole('button', { name: 'Add note' }).click();
  await expect(open.getByTestId('note')).toContainText('Sam SDR');
  await expect(open.getByTestId('note')).toContainText('Call booked for Thursday.');
  await expect(note).toHaveValue('');

  // A tag too long is refused and kept as typed; good tags are saved lowercased.
  const tags = page.getByLabel('Tags (comma-separated)');
  await tags.fill('vip, ' + 'x'.repeat(41));
  await open.getByRole('button', { name: 'Save tags' }).click();
  await expect(page.locator('#tags-error')).toContainText('at most 40 characters');
  await expect(tags).toHaveValue('vip, ' + 'x'.repeat(41));
  await tags.fill('VIP, Clinic');
  await open.getByRole('button', { name: 'Save tags' }).click();
  await expect(open.getByTestId('tags')).toHaveText(/vip\s*clinic/);

  // The SDR moves her on to qualified.
  await page.getByLabel('Stage').selectOption('qualified');
  await open.getByRole('button', { name: 'Set stage' }).click();
  await expect(open).toContainText('· Qualified');
  // An SDR sees only their own leads: the team's export is not for them.
  expect((await page.request.get('/teams/acme-sales/leads.csv')).status()).toBe(403);

  // Resolved, it leaves the open conversations.
  await open.getByRole('button', { name: 'Resolve' }).click();
  await expect(open.getByTestId('status')).toHaveText('Resolved');
  await expect(open.getByTestId('escalation')).toHaveCount(0);
  await expect(priya).toHaveCount(0);

  // A new lead writes on WhatsApp. Meta's webhook is verified, stored, processed, the lead scored
  // HOT and routed to the SDR online: it appears on the open page without a reload.
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'E2E', changes: [{ field: 'messages', value: {
      metadata: { phone_number_id: 'DEMO-PN-1' },
      contacts: [{ profile: { name: 'Marco Rossi' }, wa_id: '393331234567' }],
      messages: [{ from: '393331234567', id: `wamid.e2e${ts}`, timestamp: String(ts), type: 'text',
        text: { body: 'We need an online store, our budget is $90,000 and we are ready to sign this month. Can we book a call tomorrow?' } }],
    } }] }],
  });
  const refused = await request.post('/webhooks/whatsapp', {
    data: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) },
  });
  expect(refused.status()).toBe(401);
  const sig = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
  const res = await request.post('/webhooks/whatsapp', {
    data: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig },
  });
  expect(res.status()).toBe(200);
  const marco = rows.filter({ hasText: 'Marco Rossi' });
  await expect(marco).toBeVisible({ timeout: 20_000 });
  await expect(marco).toHaveAttribute('data-unread', 'true');
  await expect(marco.getByTestId('band')).toContainText('HOT');

  // A manager sees every conversation; Lena is with the AI re-engagement. They give her to the
  // SDR, whose open page shows her at once.
  const { context, page: mgr } = await person(browser, 'manager@acme.fluxorae.test', INBOX);
  const lena = mgr.getByTestId('conversation').filter({ hasText: 'Lena Fischer' });
  await expect(lena).toBeVisible();
  // Only the escalated ones: Marco ($90,000, ready to sign, wants a call), not Lena.
  const escalatedOnly = mgr.getByLabel('Escalated only');
  await escalatedOnly.check();
  await expect(lena).toHaveCount(0);
  const marcoRow = mgr.getByTestId('conversation').filter({ hasText: 'Marco Rossi' });
  await expect(marcoRow.getByTestId('escalated')).toContainText('Budget of $90,000: $50,000 or more goes to a person');
  await expect(marcoRow.getByTestId('escalated')).toContainText('Asked for a call');
  await escalatedOnly.uncheck();
  await lena.getByRole('link').click();
  const theirs = mgr.getByTestId('open-conversation');
  await expect(theirs.getByTestId('routing')).toContainText('AI re-engagement');
  const sam = await mgr.locator('#assignee option', { hasText: 'Sam SDR' }).getAttribute('value');
  await mgr.getByLabel('Assign to').selectOption(sam!);
  await theirs.getByRole('button', { name: 'Assign' }).click();
  await expect(theirs.getByTestId('routing')).toContainText('Assigned to Sam SDR.');
  await expect(rows.filter({ hasText: 'Lena Fischer' })).toBeVisible({ timeout: 10_000 });

  // The manager's analytics: the SDR leaderboard, where the leads stand, and every lead as CSV.
  await mgr.getByRole('link', { name: 'Leaderboard and analytics' }).click();
  await expect(mgr.getByRole('heading', { name: 'Acme Sales analytics', level: 1 })).toBeVisible();
  const samRow = mgr.getByTestId('leaderboard').getByTestId('sdr-row').filter({ hasText: 'Sam SDR' });
  await expect(samRow).toContainText('(online)');
  await expect(mgr.getByTestId('funnel')).toContainText('Qualified or further');
  const csv = await mgr.request.get('/teams/acme-sales/leads.csv');
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('text/csv');
  const lines = (await csv.text()).split('\r\n');
  expect(lines[0]).toBe('id,name,identities,source,stage,score,band,assigned_to,status,created_at,last_message_at');
  const priyaLine = lines.find((l) => l.includes(',Priya Nair,'));
  expect(priyaLine).toContain(',phone:+919876543210,');
  expect(priyaLine).toContain(',qualified,');
  await context.close();
});
