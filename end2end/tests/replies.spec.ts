import { test, expect } from '@playwright/test';
import http from 'node:http';
import { hydrated, person, signInAs } from './helpers';

// Replying from the inbox: the SDR answers a lead inside WhatsApp's 24 hours (starting from a
// canned response); the reply shows at once, queued, because the demo number has no access token.
// Outside the window only templates are offered. Once the owner stores the number's token, the
// queued replies go out through the Graph API (a stand-in on META_GRAPH_URL's port) and the SDR's
// open page shows them sent, without a reload.

const INBOX = '/teams/acme-sales/inbox';
const GRAPH_PORT = Number(process.env.META_GRAPH_PORT ?? 3458);

type Call = { path: string; auth: string; body: any };

function standInGraph(seen: Call[]) {
  return http.createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', auth: String(req.headers.authorization ?? ''), body: JSON.parse(data) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messaging_product: 'whatsapp', messages: [{ id: `wamid.e2e-out-${seen.length}` }] }));
    });
  });
}

test('an SDR replies, only templates go outside the window, and replies go out once the number has a token', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const seen: Call[] = [];
  const graph = standInGraph(seen);
  await new Promise<void>((resolve) => graph.listen(GRAPH_PORT, '127.0.0.1', resolve));
  try {
    await signInAs(page, 'sdr@acme.fluxorae.test', INBOX);
    await expect(page.locator('html')).toHaveAttribute('data-inbox-live', 'open');
    await page.getByTestId('conversation').filter({ hasText: 'Daniel Okoro' }).getByRole('link').click();
    const open = page.getByTestId('open-conversation');
    const composer = open.getByTestId('composer');
    await expect(composer.getByTestId('window')).toContainText('On Acme WhatsApp: free-form replies until');
    await expect(composer.getByTestId('held')).toContainText('has no access token yet');

    // An empty reply is refused at the field.
    await composer.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(page.locator('#reply-error')).toHaveText('Write the reply first.');

    // A canned response goes into the composer to be edited, then out.
    await page.getByLabel('Start from a canned response').selectOption({ label: 'Pricing' });
    const reply = page.getByLabel('Your reply');
    await expect(reply).toHaveValue(/fixed packages start at \$2,500/);
    await reply.fill('Hi Daniel, a redesign like yours starts at $2,500. Shall I book a call?');
    await composer.getByRole('button', { name: 'Send', exact: true }).click();
    const mine = open.getByTestId('message').filter({ hasText: 'a redesign like yours' });
    await expect(mine).toContainText('Sam SDR');
    await expect(mine).toContainText('· queued');
    await expect(mine.getByTestId('message-error')).toContainText('has no access token yet');
    await expect(reply).toHaveValue('');

    // The owner opens Lena, who wrote nine days ago: only templates, and the composer says why.
    const { context, page: boss } = await person(browser, 'owner@acme.fluxorae.test', INBOX);
    await boss.getByTestId('conversation').filter({ hasText: 'Lena Fischer' }).getByRole('link').click();
    const theirs = boss.getByTestId('open-conversation');
    const bossComposer = theirs.getByTestId('composer');
    await expect(bossComposer.getByTestId('window')).toContainText('More than 24 hours have passed since their last WhatsApp message');
    await expect(boss.getByLabel('Your reply')).toHaveCount(0);
    await boss.getByLabel('Template').selectOption({ label: 'follow_up (en_US, Utility)' });
    await expect(bossComposer.getByTestId('template-preview')).toContainText('Hi {{1}}, thanks for asking about {{2}}.');
    await bossComposer.getByRole('button', { name: 'Send template' }).click();
    await expect(boss.locator('#variables-error')).toHaveText('Fill in {{1}}.');
    await boss.getByLabel('Value of {{1}}').fill('Lena');
    await boss.getByLabel('Value of {{2}}').fill('your website');
    await bossComposer.getByRole('button', { name: 'Send template' }).click();
    const template = theirs.getByTestId('message').filter({ hasText: 'Hi Lena, thanks for asking about your website.' });
    await expect(template).toContainText('· queued');

    // The owner stores the number's access token; what waited goes out.
    await boss.goto('/teams/acme-sales/channels');
    await hydrated(boss);
    const line = boss.getByTestId('channel').filter({ hasText: 'Acme WhatsApp' });
    await expect(line.getByTestId('token-state')).toContainText('No access token: replies wait in the queue. 2 waiting to be sent.');
    await line.getByLabel('Access token').fill('e2e-graph-token');
    await line.getByRole('button', { name: 'Save token' }).click();
    await expect(line.getByTestId('token-state')).toContainText('Replies go out: an access token is stored.');

    // The SDR's open page shows their reply sent, live.
    await expect(mine).toContainText('· sent', { timeout: 15_000 });
    await expect(mine.getByTestId('message-error')).toHaveCount(0);
    expect(seen).toHaveLength(2);
    const text = seen.find((c) => c.body.type === 'text')!;
    expect(text.path).toBe('/DEMO-PN-1/messages');
    expect(text.auth).toBe('Bearer e2e-graph-token');
    expect(text.body.to).toBe('2348031234567');
    expect(text.body.text.body).toBe('Hi Daniel, a redesign like yours starts at $2,500. Shall I book a call?');
    const sentTemplate = seen.find((c) => c.body.type === 'template')!;
    expect(sentTemplate.body.template.name).toBe('follow_up');
    expect(sentTemplate.body.template.components[0].parameters.map((p: any) => p.text)).toEqual(['Lena', 'your website']);

    // The owner sees what the team's tokens went on.
    await boss.goto('/teams/acme-sales');
    await boss.getByRole('link', { name: 'Tokens: plan and usage' }).click();
    await expect(boss.getByRole('heading', { name: 'Acme Sales tokens', level: 1 })).toBeVisible();
    await expect(boss.getByTestId('plan')).toContainText('Scale plan');
    const scored = boss.getByTestId('by-operation').getByRole('row', { name: /Lead scored/ });
    await expect(scored.getByRole('cell').nth(1)).toHaveText('0.5');
    await expect(scored.getByRole('cell').nth(2)).not.toHaveText('0');
    await expect(boss.getByTestId('tokens-banner')).toHaveCount(0);
    await context.close();
  } finally {
    // Close the connections the server keeps alive too, so the next test's stand-in on this
    // port answers its requests.
    graph.close();
    graph.closeAllConnections();
  }
});
