import { createHmac } from 'node:crypto';

/** The demo two-factor secret (README, seed::DEMO_TOTP_SECRET). */
export const DEMO_TOTP_SECRET = 'FLUXORAE2FADEMOSECRETKEYFORDEMOS';

function base32(secret: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) for a time step: what an authenticator app shows. */
export function totpAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return n.toString().padStart(6, '0');
}

const lastUsed = new Map<string, number>();

/**
 * A code the server has not seen yet. Each code works once (per account), so a second sign-in
 * within the same 30 s uses the next step's code, which the server accepts as one step of clock
 * drift; past that, it waits for time to move on, as a person would.
 */
export async function freshCode(secret: string): Promise<string> {
  for (;;) {
    const now = Math.floor(Date.now() / 30_000);
    const last = lastUsed.get(secret) ?? -1;
    for (const step of [now, now + 1]) {
      if (step > last) {
        lastUsed.set(secret, step);
        return totpAt(secret, step);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
