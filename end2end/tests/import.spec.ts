import { test, expect } from '@playwright/test';
import { signInAs } from './helpers';

// Importing leads from a CSV file: a team admin uploads a file, checks the columns guessed from its
// header against a preview, starts the import, follows it to its end, and downloads the report
// of the rows refused. The new people are in the inbox; a person already known is not added
// twice.

const IMPORT = '/teams/acme-sales/leads/import';

test('a team admin imports leads from a CSV file and gets a report of the rows refused', async ({ page }) => {
  await signInAs(page, 'teamadmin@acme.fluxorae.test', IMPORT);
  await expect(page.getByRole('heading', { name: 'Import leads' })).toBeVisible();

  // Without a file: refused at the field.
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('#import-file-error')).toHaveText('Choose a CSV file.');

  const csv = [
    'Full name,Mobile,Email',
    'Olga Petrova,+44 7911 654321,olga@example.com',
    'Priya N.,+91 98765 43210,',
    'Tom Lee,+49 151 23456789,tom@example.com',
    'Nobody,,',
  ].join('\n');
  await page.getByLabel('CSV file').setInputFiles({ name: 'expo-leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Upload' }).click();
  const imp = page.getByTestId('import');
  await expect(imp.getByRole('heading')).toHaveText('expo-leads.csv · 4 rows');
  await expect(imp.getByTestId('preview')).toContainText('Olga Petrova');
  // The columns were guessed from the header.
  await expect(page.locator('#map-name')).toHaveValue('0');
  await expect(imp.getByTestId('phone-1')).toBeChecked();
  await expect(imp.getByTestId('email-2')).toBeChecked();

  // The page follows the import by asking where it stands. While those answers are lost, it says
  // so and keeps asking; once they come back, it follows the import to its end.
  let lost = true;
  await page.route('**/api/leads/import/view', (route) => (lost ? route.abort('failed') : route.continue()));
  await imp.getByRole('button', { name: 'Import 4 rows' }).click();
  await expect(imp.getByTestId('import-trouble')).toHaveText('The progress could not be read just now; asking again…');
  lost = false;
  await expect(imp.getByText('Done', { exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(imp.getByTestId('import-trouble')).toBeEmpty();
  await expect(imp.getByRole('progressbar')).toHaveAttribute('value', '100');
  // Priya wrote on WhatsApp in the demo: her number matches, she is not added again.
  await expect(imp.getByTestId('import-counts')).toHaveText('4 of 4 rows read: 2 new, 1 already known, 0 merged, 1 refused.');

  const report = imp.getByRole('link', { name: 'Download the report of the 1 refused rows' });
  const href = await report.getAttribute('href');
  const res = await page.request.get(href!);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-disposition']).toContain('expo-leads-errors.csv');
  expect(await res.text()).toBe('line,error,row\r\n5,No phone number or email in this row.,"Nobody,,"\r\n');

  // The new people are in the team's inbox.
  await page.goto('/teams/acme-sales/inbox');
  await page.getByLabel('Search').fill('Olga');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('conversation').filter({ hasText: 'Olga Petrova' })).toBeVisible();
});
