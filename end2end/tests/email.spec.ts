import { test, expect } from '@playwright/test';
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { person, signInAs } from './helpers';

// Email in the unified inbox: the owner connects the team's address on the channels page; an
// email posted to /webhooks/email (signed, as the team's mail server would) shows up live in the
// SDR's open inbox with its subject; the SDR's answer waits until the owner gives the channel an
// SMTP server, then goes out in the thread (a stand-in SMTP server on a local port takes it) and
// the SDR's page shows it sent without a reload.

const INBOX = '/teams/acme-sales/inbox';
const CHANNELS = '/teams/acme-sales/channels';
const SECRET = process.env.EMAIL_INBOUND_SECRET ?? 'e2e-email-secret';
const SMTP_PORT = Number(process.env.EMAIL_SMTP_PORT ?? 3459);

/** A stand-in SMTP server that keeps each message's DATA. */
function smtpSink(taken: string[]) {
  return net.createServer((socket) => {
    let buffer = '';
    let data: string | null = null;
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data !== null) {
          if (line === '.') {
            taken.push(data);
            data = null;
            socket.write('250 2.0.0 queued\r\n');
          } else {
            data += line + '\n';
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'DATA') {
          data = '';
          socket.write('354 go on\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else {
          socket.write(verb === 'EHLO' || verb === 'HELO' ? '250 sink\r\n' : '250 ok\r\n');
        }
      }
    });
  });
}

test('an email reaches the SDR live, and the answer goes out by SMTP in the thread', async ({ page, browser, request }) => {
  test.setTimeout(90_000);
  const taken: string[] = [];
  const smtp = smtpSink(taken);
  await new Promise<void>((resolve) => smtp.listen(SMTP_PORT, '127.0.0.1', resolve));
  try {
    // The owner connects the address; one that does not read is refused at the field.
    const { context, page: boss } = await person(browser, 'owner@acme.fluxorae.test', CHANNELS);
    await boss.getByText('Connect a channel').click();
    await boss.locator('#connect-kind').selectOption('email');
    await boss.locator('#connect-id').fill('sales@');
    await boss.locator('#connect-name').fill('Acme email');
    await boss.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(boss.locator('#connect-id-error')).toHaveText("Enter the inbox's email address, like sales@example.com.");
    await boss.locator('#connect-id').fill('Sales@Acme.fluxorae.test');
    await boss.getByRole('button', { name: 'Connect', exact: true }).click();
    const card = boss.getByTestId('channel').filter({ hasText: 'Acme email' });
    await expect(card).toContainText('Email · sales@acme.fluxorae.test');
    await expect(card.getByTestId('token-state')).toHaveText('No SMTP server: replies wait in the queue.');

    // The SDR's inbox is open when Maya writes.
    await signInAs(page, 'sdr@acme.fluxorae.test', INBOX);
    await expect(page.locator('html')).toHaveAttribute('data-inbox-live', 'open');
    const id = `maya-${Date.now()}@example.com`;
    const mail = [
      'From: Maya Chen <maya.chen@example.com>',
      'To: Acme <sales@acme.fluxorae.test>',
      'Subject: Website for our bakery',
      `Message-ID: <${id}>`,
      `Date: ${new Date().toUTCString()}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello, what would a new website for our bakery cost? We have about $8,000.',
      '',
    ].join('\r\n');
    const refused = await request.post('/webhooks/email', {
      data: mail, headers: { 'content-type': 'message/rfc822', 'x-signature-256': 'sha256=' + '0'.repeat(64) },
    });
    expect(refused.status()).toBe(401);
    const sig = 'sha256=' + createHmac('sha256', SECRET).update(mail).digest('hex');
    const res = await request.post('/webhooks/email', {
      data: mail, headers: { 'content-type': 'message/rfc822', 'x-signature-256': sig },
    });
    expect(res.status()).toBe(200);
    const maya = page.getByTestId('conversation').filter({ hasText: 'Maya Chen' });
    await expect(maya).toBeVisible({ timeout: 20_000 });
    await maya.getByRole('link').click();
    const open = page.getByTestId('open-conversation');
    const theirs = open.getByTestId('message').first();
    await expect(theirs.getByTestId('message-subject')).toHaveText('Website for our bakery');
    await expect(theirs).toContainText('new website for our bakery cost');
    await expect(open).toContainText('email:maya.chen@example.com');

    // Email has no reply window; without an SMTP server the answer waits, and says why.
    const composer = open.getByTestId('composer');
    await expect(composer.getByTestId('window')).toHaveText('On Acme email: no reply window, answer at any time.');
    await expect(composer.getByTestId('held')).toContainText('“Acme email” has no SMTP server yet');
    await page.getByLabel('Your reply').fill('Hi Maya, a bakery website like that fits $8,000. Shall we talk on Thursday?');
    await composer.getByRole('button', { name: 'Send', exact: true }).click();
    const mine = open.getByTestId('message').filter({ hasText: 'a bakery website like that' });
    await expect(mine).toContainText('· queued');

    // The owner stores the SMTP server (a URL; a token is refused); the answer goes out.
    const smtpField = card.getByLabel('SMTP server URL');
    await smtpField.fill('EAAG-not-a-server');
    await card.getByRole('button', { name: 'Save SMTP server' }).click();
    await expect(card).toContainText('Enter the SMTP server as a URL');
    await smtpField.fill(`smtp://127.0.0.1:${SMTP_PORT}`);
    await card.getByRole('button', { name: 'Save SMTP server' }).click();
    await expect(card.getByTestId('token-state')).toContainText('Replies go out: an SMTP server is stored.');
    await expect(mine).toContainText('· sent', { timeout: 20_000 });
    await expect(mine.getByTestId('message-subject')).toHaveText('Re: Website for our bakery');
    expect(taken).toHaveLength(1);
    expect(taken[0]).toContain('To: maya.chen@example.com');
    expect(taken[0]).toContain('Subject: Re: Website for our bakery');
    expect(taken[0]).toContain(`In-Reply-To: <${id}>`);
    await context.close();
  } finally {
    smtp.close();
  }
});
