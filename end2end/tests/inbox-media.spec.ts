import { test, expect } from '@playwright/test';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { person } from './helpers';

// A contact's photo in the inbox: the owner connects a WhatsApp number and stores its access
// token; a contact sends a photo with a caption to it; the owner's open inbox shows the new
// conversation without a reload, and the photo itself once it is fetched through the Graph API
// (a stand-in on META_GRAPH_URL's port, which wants the number's token). The owner answers with
// a photo of their own: a GIF is refused at the file (WhatsApp takes JPEG and PNG); the PNG shows
// at once in the conversation, is uploaded to the number's media and sent by its id with the
// caption, and is marked sent.

const SECRET = process.env.META_APP_SECRET ?? 'e2e-meta-app-secret';
const GRAPH_PORT = Number(process.env.META_GRAPH_PORT ?? 3458);
const TOKEN = 'e2e-media-token';
// A 2×1 PNG, red then blue.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAADUlEQVR4nGP4zwAE/wEHAAH/4iOeWQAAAABJRU5ErkJggg==',
  'base64',
);

type Posted = { url: string; type: string; body: Buffer };

function standInGraph(seen: string[], posted: Posted[]) {
  return http.createServer(async (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST') {
      posted.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Invalid OAuth access token.' } }));
    } else if (req.url === '/MEDIA-E2E-1') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: `http://127.0.0.1:${GRAPH_PORT}/dl/MEDIA-E2E-1`, mime_type: 'image/png', file_size: PNG.length }));
    } else if (req.url === '/dl/MEDIA-E2E-1') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    } else if (req.method === 'POST' && req.url?.endsWith('/media')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'MEDIA-OUT-1' }));
    } else if (req.method === 'POST' && req.url?.endsWith('/messages')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messages: [{ id: `wamid.out-${posted.length}` }] }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Media not found.' } }));
    }
  });
}

test("a contact's photo shows up in the open inbox, and the owner answers with a photo", async ({ browser, request }) => {
  test.setTimeout(90_000);
  const number = `E2E-MEDIA-${Date.now()}`;
  const seen: string[] = [];
  const posted: Posted[] = [];
  const graph = standInGraph(seen, posted);
  await new Promise<void>((resolve) => graph.listen(GRAPH_PORT, '127.0.0.1', resolve));
  const { context, page: boss } = await person(browser, 'owner@acme.fluxorae.test', '/teams/acme-sales/channels');
  try {
    await boss.getByText('Connect a channel').click();
    await boss.locator('#connect-kind').selectOption('whatsapp');
    await boss.locator('#connect-id').fill(number);
    await boss.locator('#connect-name').fill('Showroom WhatsApp');
    await boss.getByRole('button', { name: 'Connect', exact: true }).click();
    const line = boss.getByTestId('channel').filter({ hasText: 'Showroom WhatsApp' });
    await expect(line).toBeVisible();
    await line.getByLabel('Access token').fill(TOKEN);
    await line.getByRole('button', { name: 'Save token' }).click();
    await expect(line.getByTestId('token-state')).toContainText('an access token is stored');

    await boss.goto('/teams/acme-sales/inbox');
    await expect(boss.locator('html')).toHaveAttribute('data-inbox-live', 'open');

    const name = `Jonas Weber ${Date.now() % 100000}`;
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { phone_number_id: number },
        contacts: [{ profile: { name }, wa_id: '4917612340987' }],
        messages: [{ from: '4917612340987', id: `wamid.media-${Date.now()}`, timestamp: String(Math.floor(Date.now() / 1000)),
                     type: 'image', image: { id: 'MEDIA-E2E-1', mime_type: 'image/png', caption: 'Our current storefront' } }],
      } }] }],
    });
    const sig = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
    const res = await request.post('/webhooks/whatsapp', {
      data: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig },
    });
    expect(res.status()).toBe(200);

    const row = boss.getByTestId('conversation').filter({ hasText: name });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await row.getByRole('link').click();
    const message = boss.getByTestId('open-conversation').getByTestId('message').filter({ hasText: 'Our current storefront' });
    await expect(message).toBeVisible();
    // The photo replaces the note about fetching it, without a reload, and it really loads.
    const photo = message.getByTestId('message-image');
    await expect(photo).toBeVisible({ timeout: 20_000 });
    await expect(photo).toHaveAttribute('alt', 'Our current storefront');
    await expect(message.getByTestId('message-media-note')).toHaveCount(0);
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);
    expect(seen).toContain(`GET /MEDIA-E2E-1 Bearer ${TOKEN}`);
    expect(seen).toContain(`GET /dl/MEDIA-E2E-1 Bearer ${TOKEN}`);

    // The owner answers with a photo. WhatsApp takes no GIF: the file field says so.
    const composer = boss.getByTestId('composer');
    const form = composer.getByTestId('file-form');
    await expect(form.getByText('WhatsApp takes JPEG or PNG images up to 5 MB')).toBeVisible();
    const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    await form.getByLabel('Or send a file').setInputFiles({ name: 'wave.gif', mimeType: 'image/gif', buffer: GIF });
    await form.getByRole('button', { name: 'Send file' }).click();
    await expect(form.locator('#reply-file-error')).toContainText('WhatsApp does not take this kind of file (image/gif)');

    await form.getByLabel('Or send a file').setInputFiles({ name: 'new-storefront.png', mimeType: 'image/png', buffer: PNG });
    await form.getByLabel('Caption (optional)').fill('Our new storefront design');
    await form.getByRole('button', { name: 'Send file' }).click();
    const mine = boss.getByTestId('open-conversation').getByTestId('message').filter({ hasText: 'Our new storefront design' });
    await expect(mine).toBeVisible();
    const sentPhoto = mine.getByTestId('message-image');
    await expect(sentPhoto).toHaveAttribute('alt', 'Our new storefront design');
    await expect.poll(() => sentPhoto.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);
    // The worker uploads it to the number's media, sends it by the id Meta gave, and it is sent.
    await expect(mine).toContainText('· sent', { timeout: 20_000 });
    const upload = posted.find((p) => p.url === `/${number}/media`);
    expect(upload?.type).toContain('multipart/form-data');
    expect(upload?.body.includes(PNG)).toBe(true);
    expect(upload?.body.toString('latin1')).toContain('filename="new-storefront.png"');
    const sent = posted.find((p) => p.url === `/${number}/messages`);
    const sentMessage = JSON.parse(sent?.body.toString() ?? '{}');
    expect(sentMessage.type).toBe('image');
    expect(sentMessage.image).toEqual({ id: 'MEDIA-OUT-1', caption: 'Our new storefront design' });
    expect(sentMessage.to).toBe('4917612340987');
  } finally {
    await context.close();
    // Close the connections the server keeps alive too, so the next test's stand-in on this
    // port answers its requests.
    graph.close();
    graph.closeAllConnections();
  }
});
