import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { beforeSuite } from '../support/before-suite.ts';
import { json, makeTestApp, type TestApp } from '../support/test-deps.ts';

/**
 * The conversation tools in a real browser (Debian's Chromium): rename in place, search, date
 * groups, copy an answer, thumbs with a comment, regenerate, edit and resend, export. Each is
 * checked on the page and in what the server stored.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let t: TestApp;
let stopServer: () => void;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeSuite(async () => {
  if (!(await Bun.file(CHROMIUM).exists())) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y chromium\`.`);
  }
  t = await makeTestApp({ wordDelayMs: 2 });
  const listening = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  stopServer = () => listening.stop();
  base = `http://127.0.0.1:${listening.server?.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  // Copy writes to the clipboard and the test reads it back.
  context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  stopServer?.();
  await t?.cleanup();
});

const apiGet = async (path: string) => (await t.request(path)).json();

/** Asks on the page and waits for the finished answer; returns the conversation's id. */
async function askOnPage(question: string): Promise<string> {
  const answers = await page.locator('.msg.assistant.complete').count();
  await page.locator('#message').fill(question);
  await page.locator('#message').press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.msg.assistant.complete').length > n, answers, {
    timeout: 20_000,
  });
  await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
  return page.url().split('/c/')[1] as string;
}

test('an answer is copied as Markdown, with the sources it cites', async () => {
  await page.goto(base);
  await askOnPage('How do I add my own documents?');
  await page.locator('.msg.assistant .copy-answer').click();
  await page.locator('.msg.assistant .copy-answer', { hasText: 'Copied' }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toStartWith('From the documents:');
  expect(copied).toContain('npm run ingest');
  expect(copied).toMatch(/\nSources:\n\n- \[1\] Adding your own documents/);
});

test('thumbs down with a comment is stored with the answer; pressing it again takes it back', async () => {
  const messageId = ((await page.locator('.msg.assistant').last().getAttribute('id')) as string).slice(2);
  await page.locator('.msg.assistant .thumb.down').click();
  await page.locator('.msg.assistant .thumb.down[aria-pressed="true"]').waitFor();
  await page
    .locator('.msg.assistant .feedback-comment input[name="comment"]')
    .fill('It should show the upload page too.');
  await page.locator('.msg.assistant .feedback-comment button').click();
  await page.locator('.msg.assistant .feedback-thanks', { hasText: 'Thanks, noted.' }).waitFor();
  expect((await apiGet(`/api/messages/${messageId}`)).feedback).toMatchObject({
    rating: 'down',
    comment: 'It should show the upload page too.',
  });
  // A reload shows what was given.
  await page.reload();
  expect(await page.locator('.msg.assistant .thumb.down').getAttribute('aria-pressed')).toBe('true');
  expect(await page.locator('.msg.assistant .feedback-comment input[name="comment"]').inputValue()).toBe(
    'It should show the upload page too.',
  );
  await page.locator('.msg.assistant .thumb.down').click();
  await page.locator('.msg.assistant .feedback-thanks', { hasText: 'Taken back.' }).waitFor();
  expect((await apiGet(`/api/messages/${messageId}`)).feedback).toBeNull();
});

test('a conversation is renamed in place, in the side list and the heading', async () => {
  const id = page.url().split('/c/')[1] as string;
  const item = page.locator(`#conv-${id}`);
  await item.locator('.rename').click();
  const input = item.locator('.rename-form input[name="title"]');
  expect(await input.isVisible()).toBe(true);
  expect(await input.inputValue()).toBe('How do I add my own documents?');
  await input.fill('Adding documents <by hand>');
  await input.press('Enter');
  await page.locator(`#conv-${id} a`, { hasText: 'Adding documents <by hand>' }).waitFor();
  await page.locator('#chat-title', { hasText: 'Adding documents <by hand>' }).waitFor();
  expect((await apiGet(`/api/conversations/${id}`)).title).toBe('Adding documents <by hand>');
  // Escape closes the form without saving.
  await page.locator(`#conv-${id} .rename`).click();
  await page.locator(`#conv-${id} .rename-form input`).fill('not this');
  await page.locator(`#conv-${id} .rename-form input`).press('Escape');
  expect(await page.locator(`#conv-${id} .rename-form`).isHidden()).toBe(true);
  expect(await page.locator(`#conv-${id} a`).textContent()).toBe('Adding documents <by hand>');
});

test('the side list is grouped by date and searched by title and text', async () => {
  const older = (await (await t.request('/api/chat', json({ message: 'Which log levels can I set?' }))).json())
    .conversationId as string;
  const yesterday = (await (await t.request('/api/chat', json({ message: 'How do I stop ragchat?' }))).json())
    .conversationId as string;
  // Age two conversations, as days passing would.
  const db = new Database(join(t.dataDir, 'ragchat.sqlite'));
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  db.query('UPDATE conversations SET updated_at = ? WHERE id = ?').run(daysAgo(40), older);
  const startOfToday = new Date();
  startOfToday.setHours(0, 0, 0, 0);
  db.query('UPDATE conversations SET updated_at = ? WHERE id = ?').run(
    new Date(startOfToday.getTime() - 3_600_000).toISOString(),
    yesterday,
  );
  db.close();
  await page.reload();
  const headings = await page.locator('#conversation-list .conv-group-title').allTextContents();
  expect(headings.map((h) => h.toLowerCase())).toEqual(['today', 'yesterday', 'older']);
  expect(await page.locator('#conversation-list .conv-group', { hasText: 'Older' }).textContent()).toContain(
    'Which log levels can I set?',
  );

  // "Ctrl+C" is in the stop answer only; the titles do not say it.
  await page.locator('#conversation-search').fill('Ctrl+C');
  await page.locator('#conversation-list .conv-group-title', { hasText: '1 found' }).waitFor();
  expect(await page.locator('#conversation-list li a').allTextContents()).toEqual(['How do I stop ragchat?']);
  await page.locator('#conversation-search').fill('zebra crossing');
  await page.locator('#conversation-list .empty-list', { hasText: 'No conversation mentions' }).waitFor();
  await page.locator('#conversation-search').fill('');
  await page.locator('#conversation-list .conv-group-title', { hasText: 'Older' }).waitFor();
  expect(await page.locator('#conversation-list li').count()).toBe(3);
});

test('regenerate answers the last question again, in place of its answer', async () => {
  const id = page.url().split('/c/')[1] as string;
  const before = (await page.locator('.msg.assistant').getAttribute('id')) as string;
  await page.locator('#regenerate').click();
  await page.waitForFunction(
    (old) => !document.getElementById(old) && document.querySelector('.msg.assistant.complete') !== null,
    before,
    { timeout: 20_000 },
  );
  expect(await page.locator('.msg.user').count()).toBe(1);
  expect(await page.locator('.msg.assistant').count()).toBe(1);
  const stored = await apiGet(`/api/conversations/${id}`);
  expect(stored.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
  expect(`m-${stored.messages[1].id}`).toBe((await page.locator('.msg.assistant').getAttribute('id')) as string);
});

test('a question is edited in the composer and resent: what followed it is replaced', async () => {
  const id = page.url().split('/c/')[1] as string;
  await page.locator('.msg.user .edit-question').click();
  expect(await page.locator('#message').inputValue()).toBe('How do I add my own documents?');
  expect(await page.locator('#editing-note').isVisible()).toBe(true);
  const oldQuestion = (await page.locator('.msg.user').getAttribute('id')) as string;
  await page.locator('#message').fill('How do I stop an answer early?');
  await page.locator('#message').press('Enter');
  await page.waitForFunction(
    (old) => !document.getElementById(old) && document.querySelector('.msg.assistant.complete') !== null,
    oldQuestion,
    { timeout: 20_000 },
  );
  expect(await page.locator('#editing-note').isHidden()).toBe(true);
  expect(await page.locator('.msg.user .bubble').allTextContents()).toEqual(['How do I stop an answer early?']);
  expect(await page.locator('.msg.assistant .answer').textContent()).toContain('Press Stop');
  const stored = await apiGet(`/api/conversations/${id}`);
  expect(stored.messages.map((m: { content: string }) => m.content.slice(0, 30))).toEqual([
    'How do I stop an answer early?',
    expect.stringContaining('From the documents'),
  ]);
  // The renamed title was the user's own: an edit leaves it.
  expect(stored.title).toBe('Adding documents <by hand>');
});

test('the conversation downloads as Markdown and as JSON', async () => {
  const [markdown] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('.conversation-tools a', { hasText: 'Export .md' }).click(),
  ]);
  expect(markdown.suggestedFilename()).toBe('adding-documents-by-hand.md');
  const text = await Bun.file((await markdown.path()) as string).text();
  expect(text).toStartWith('# Adding documents <by hand>\n');
  expect(text).toContain('## Question\n\n> How do I stop an answer early?');
  const [asJson] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('.conversation-tools a', { hasText: 'Export .json' }).click(),
  ]);
  expect(asJson.suggestedFilename()).toBe('adding-documents-by-hand.json');
  const body = await Bun.file((await asJson.path()) as string).json();
  expect(body.messages).toHaveLength(2);
  expect(body.messages[1].sources.length).toBeGreaterThan(0);
});
