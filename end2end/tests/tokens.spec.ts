import { test, expect } from '@playwright/test';
import { hydrated, signInAs } from './helpers';

// An owner buys tokens by card on the team's tokens page: a declined card is named at the field
// and adds nothing; a paid one adds the pack to this month at once and lists it as a top-up; one
// whose bank asks the owner to confirm adds nothing until they confirm, even across a reload.

test('an owner buys a pack of tokens by card', async ({ page }) => {
  await signInAs(page, 'owner@acme.fluxorae.test', '/teams/acme-sales/tokens');
  const month = page.getByTestId('month');
  const credits = async () => {
    const m = (await month.innerText()).match(/of ([\d,]+) tokens/)!;
    return Number(m[1].replace(/,/g, ''));
  };
  const before = await credits();
  const buy = page.getByTestId('buy-tokens');
  await buy.getByLabel('5,000 tokens for $90.00').check();
  await buy.getByLabel('Card number').fill('4000 0000 0000 0002');
  await buy.getByRole('button', { name: 'Buy tokens' }).click();
  await expect(page.locator('#field-card-error')).toHaveText('Your card was declined. Try another card.');
  await expect(buy.getByLabel('Card number')).toHaveValue('4000 0000 0000 0002');
  expect(await credits()).toBe(before);

  await buy.getByLabel('Card number').fill('4242 4242 4242 4242');
  await buy.getByRole('button', { name: 'Buy tokens' }).click();
  await expect(page.getByTestId('buy-tokens').getByRole('status')).toHaveText('Paid. The tokens are added to this month.');
  await expect(month).toContainText(`of ${(before + 5000).toLocaleString('en-US')} tokens`);
  await expect(page.getByTestId('topups')).toContainText('5,000 tokens: Bought by card: 5,000 tokens for $90.00');

  const paid = await credits();
  await buy.getByLabel('1,000 tokens for $20.00').check();
  await buy.getByLabel('Card number').fill('4000 0025 0000 3155');
  await buy.getByRole('button', { name: 'Buy tokens' }).click();
  const waiting = page.getByTestId('awaiting-bank');
  await expect(waiting).toContainText('Your bank asks you to confirm the payment for 1,000 tokens for $20.00 before the tokens are added.');
  await expect(buy.getByRole('status')).toHaveCount(0);
  expect(await credits()).toBe(paid);
  await page.reload();
  await hydrated(page);
  await expect(waiting).toBeVisible();
  expect(await credits()).toBe(paid);
  await waiting.getByRole('button', { name: 'Confirm with my bank' }).click();
  await expect(waiting).toHaveCount(0);
  await expect(buy.getByRole('status')).toHaveText('Paid. The tokens are added to this month.');
  await expect(month).toContainText(`of ${(paid + 1000).toLocaleString('en-US')} tokens`);
  await expect(page.getByTestId('topups')).toContainText('1,000 tokens: Bought by card: 1,000 tokens for $20.00');
});
