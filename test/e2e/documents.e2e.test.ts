import { expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { ADMIN, makeAccountsApp } from '../support/accounts.ts';
import { browserSuite, logIn } from '../support/browser.ts';

/**
 * The Documents page in a real browser: files dropped on it (or on the chat), several at once,
 * each with its own progress and outcome; titles that open the original; filter and sort.
 */
const suite = browserSuite(makeAccountsApp);

async function adminPage(): Promise<Page> {
  return (await logIn(suite, ADMIN, { viewport: { width: 1280, height: 900 } })).page;
}

/**
 * Drags files from outside the browser and drops them on `selector`, as a person dragging them
 * from a file manager does: the same dragenter, dragover and drop events, carrying real Files.
 */
async function dropFiles(page: Page, selector: string, files: { name: string; type: string; text: string }[]) {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([f.text], f.name, { type: f.type }));
    return dt;
  }, files);
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent(selector, type, { dataTransfer: transfer });
  }
}

const outcomes = (page: Page) => page.locator('#upload-queue li .upload-outcome.notice');

test('several files dropped on the Documents page upload one by one, each with its progress and outcome', async () => {
  const page = await adminPage();
  await page.goto(`${suite.base}/docs`);
  const before = await page.locator('#documents tbody tr').count();
  await dropFiles(page, '.page', [
    { name: 'pager.md', type: 'text/markdown', text: '# Pager duty\n\nThe pager rotates every Monday at nine.\n' },
    { name: 'virus.exe', type: 'application/octet-stream', text: 'MZ not a document' },
    { name: 'lunch.txt', type: 'text/plain', text: 'Lunch is served at noon in the atrium.\n' },
  ]);
  // One line per file, each with its own progress bar, in the order dropped.
  expect(await page.locator('#upload-queue li .upload-name').allTextContents()).toEqual([
    'pager.md',
    'virus.exe',
    'lunch.txt',
  ]);
  expect(await page.locator('#upload-queue li progress').count()).toBe(3);
  await outcomes(page).nth(2).waitFor({ timeout: 15_000 });
  const results = await outcomes(page).evaluateAll((els) => els.map((e) => [e.classList[2], e.textContent]));
  expect(results[0]).toEqual(['success', 'Added "Pager duty" (1 chunk).']);
  expect(results[1]?.[0]).toBe('error');
  expect(results[1]?.[1]).toContain('"virus.exe" cannot be uploaded');
  expect(results[2]?.[0]).toBe('success');
  // Finished bars are put away; the list shows the two new documents.
  expect(await page.locator('#upload-queue progress:visible').count()).toBe(0);
  await page.locator('#documents tr', { hasText: 'uploads/lunch.txt' }).waitFor();
  expect(await page.locator('#documents tbody tr').count()).toBe(before + 2);
  await page.close();
});

test('files dropped on the chat go to the documents, and the next question finds them', async () => {
  const page = await adminPage();
  await dropFiles(page, '#messages', [
    { name: 'parking.md', type: 'text/markdown', text: '# Parking\n\nVisitors park on level minus two, bay Q.\n' },
  ]);
  await outcomes(page).first().waitFor({ timeout: 15_000 });
  expect(await outcomes(page).first().textContent()).toBe('Added "Parking" (1 chunk).');
  await page.fill('#message', 'Where do visitors park?');
  await page.press('#message', 'Enter');
  await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  expect(await page.locator('.sources .source.cited .path').allTextContents()).toContain('uploads/parking.md');
  await page.close();
});

test('a title opens the original', async () => {
  const page = await adminPage();
  await page.goto(`${suite.base}/docs`);
  const [original] = await Promise.all([
    page.waitForEvent('popup'),
    page.locator('#documents a', { hasText: 'Offline mode' }).click(),
  ]);
  await original.waitForLoadState();
  expect(new URL(original.url()).pathname).toMatch(/^\/docs\/[^/]+\/original$/);
  expect(await original.locator('body').textContent()).toContain('Offline mode');
  await page.close();
});

test('the list filters by name and by collection, sorts, and keeps both in the address', async () => {
  const page = await adminPage();
  await page.goto(`${suite.base}/docs`);
  const titles = () => page.locator('#documents tbody .title-cell > a').allTextContents();
  const all = await titles();
  expect(all).toEqual([...all].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' })));

  await page.fill('#doc-q', 'OFFLINE');
  await page.waitForFunction(() => document.querySelectorAll('#documents tbody tr').length === 1);
  expect((await titles()).map((x) => x.trim())).toEqual(['Offline mode']);
  await page.waitForURL(/[?&]q=OFFLINE/);

  await page.fill('#doc-q', 'no such words anywhere');
  await page.locator('#documents .empty', { hasText: 'No document matches' }).waitFor();

  await page.fill('#doc-q', '');
  await page.selectOption('#doc-collection', 'hr');
  await page.waitForFunction(() => document.querySelectorAll('#documents tbody tr').length === 1);
  expect((await titles()).map((x) => x.trim())).toEqual(['Salary bands']);

  await page.selectOption('#doc-collection', '');
  await page.selectOption('#doc-sort', 'chunks');
  await page.waitForURL(/sort=chunks/);
  await page.waitForFunction(() => document.querySelectorAll('#documents tbody tr').length > 1);
  const chunks = (await page.locator('#documents tbody td.num').allTextContents()).map(Number);
  expect(chunks).toEqual([...chunks].sort((a, b) => b - a));
  // A reload of the address shows the same list.
  await page.reload();
  expect(await page.locator('#doc-sort').inputValue()).toBe('chunks');
  expect((await page.locator('#documents tbody td.num').allTextContents()).map(Number)).toEqual(chunks);
  await page.close();
});
