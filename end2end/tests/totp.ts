import { test } from '@playwright/test';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

// The last step used per account, kept in a file for this run's database: Playwright starts a
// new worker process after a failed test, and the server still remembers the codes the old one
// used.
const usedFile = path.join(
  os.tmpdir(),
  `fluxorae-totp-${createHash('sha256').update(process.env.DATABASE_URL ?? process.env.BASE_URL ?? '').digest('hex').slice(0, 16)}.json`,
);

function lastUsed(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(usedFile, 'utf8'));
  } catch {
    return {};
  }
}

/**
 * A code the server has not seen yet for `account`. Each code works once per account (the demo
 * accounts share one secret, but not their used codes), so a second sign-in of the same account
 * within the same 30 s uses the next step's code, which the server accepts as one step of clock
 * drift; past that, it waits for time to move on, as a person would. `account` defaults to the
 * secret, for an account with a secret of its own.
 */
export async function freshCode(secret: string, account = secret): Promise<string> {
  for (;;) {
    const now = Math.floor(Date.now() / 30_000);
    const used = lastUsed();
    const last = used[account] ?? -1;
    for (const step of [now, now + 1]) {
      if (step > last) {
        used[account] = step;
        fs.writeFileSync(usedFile, JSON.stringify(used));
        return totpAt(secret, step);
      }
    }
    // The wait is the person's, for their app's next code, not the platform's: the test's time
    // limit grows by it.
    const wait = (now + 1) * 30_000 - Date.now() + 100;
    test.info().setTimeout(test.info().timeout + wait);
    await new Promise((r) => setTimeout(r, wait));
  }
}
