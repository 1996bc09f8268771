import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { beforeSuite } from '../support/before-suite.ts';
import { makeTestApp, type TestApp } from '../support/test-deps.ts';

/**
 * The whole product in a real browser (Debian's Chromium): ask about the sample corpus, watch the
 * answer grow, see its sources, reload and find the conversation restored.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let t: TestApp;
let server: { stop(): void; port: number };
let context: BrowserContext;
let page: Page;
let base: string;

beforeSuite(async () => {
  if (!(await Bun.file(CHROMIUM).exists())) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y chromium\` (npm test does it for you).`,
    );
  }
  // Paced like a model so that growth is observable; real models stream at a similar rate.
  t = await makeTestApp({ wordDelayMs: 25 });
  const listening = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  server = { stop: () => listening.stop(), port: listening.server?.port as number };
  base = `http://127.0.0.1:${server.port}`;
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ragchat-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1180, height: 820 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  server?.stop();
  await t?.cleanup();
});

/** Waits until the answer being written shows its first words. */
async function answerStarted(p: Page): Promise<void> {
  await p.waitForFunction(
    () => (document.querySelector('.msg.assistant.streaming .answer')?.textContent ?? '').trim().length > 0,
    undefined,
    { timeout: 10_000 },
  );
}

/** Records every distinct length of the streaming answer, as the page shows it. */
async function watchAnswerGrowth(p: Page): Promise<void> {
  await p.evaluate(() => {
    const w = window as unknown as { lengths: number[] };
    w.lengths = [];
    new MutationObserver(() => {
      const answer = document.querySelector('.msg.assistant.streaming .answer');
      const n = answer?.textContent?.length ?? 0;
      if (n > 0 && w.lengths[w.lengths.length - 1] !== n) w.lengths.push(n);
    }).observe(document.getElementById('messages') as HTMLElement, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
}

test('a question streams a grounded answer with sources, and a reload restores the conversation', async () => {
  await page.goto(base);
  expect(await page.locator('.mode').textContent()).toContain('Offline mode');
  await watchAnswerGrowth(page);

  await page.locator('#message').fill('How are answers streamed to the browser?');
  await page.locator('#message').press('Enter');

  // The question shows at once and the send button is disabled while the answer streams.
  await page.locator('.msg.user .bubble').waitFor();
  expect(await page.locator('.msg.user .bubble').textContent()).toBe('How are answers streamed to the browser?');
  await answerStarted(page);
  expect(await page.locator('#send').isDisabled()).toBe(true);
  expect(await page.locator('#message').inputValue()).toBe('');

  // The finished answer replaces the streaming bubble, with its sources.
  await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  const lengths = (await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths)) as number[];
  expect(lengths.length).toBeGreaterThanOrEqual(3);
  expect(lengths).toEqual([...lengths].sort((a, b) => a - b));

  const answer = (await page.locator('.msg.assistant .answer').textContent()) ?? '';
  expect(answer).toContain('server-sent events');
  expect(await page.locator('.msg.assistant .answer a.cite').count()).toBeGreaterThan(0);
  const sources = page.locator('.msg.assistant .sources .source');
  expect(await sources.count()).toBeGreaterThan(0);
  expect(await sources.first().locator('.title').textContent()).toBe('Asking questions');
  expect(await page.locator('#send').isDisabled()).toBe(false);

  // The URL follows the conversation and the side list shows it, titled from the question.
  await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
  expect(await page.locator('#conversation-list li.active a').textContent()).toBe(
    'How are answers streamed to the browser?',
  );

  await page.reload();
  expect(await page.locator('.msg.user .bubble').textContent()).toBe('How are answers streamed to the browser?');
  expect(await page.locator('.msg.assistant .answer').textContent()).toBe(answer);
  expect(await page.locator('.msg.assistant .sources .source').count()).toBe(await sources.count());
});

test('a follow-up in the same conversation keeps the thread, and Stop keeps the partial answer', async () => {
  const url = page.url();
  await page
    .locator('#message')
    .fill('What does the offline mode do, and how does the local embedder turn text into vectors?');
  await page.locator('#send').click();
  await answerStarted(page);
  await page.locator('.msg.assistant.streaming .stop').click();
  await page.locator('.msg.assistant.stopped').waitFor({ timeout: 5_000 });
  expect(await page.locator('.msg.assistant.stopped .badge.stopped').textContent()).toBe('Stopped');
  const partial = (await page.locator('.msg.assistant.stopped .answer').textContent()) ?? '';
  expect(partial.length).toBeGreaterThan(0);
  expect(page.url()).toBe(url);

  await page.reload();
  expect(await page.locator('.msg.user').count()).toBe(2);
  expect(await page.locator('.msg.assistant.stopped .answer').textContent()).toBe(partial);
});

test('an empty question is refused with a message and a too-long one keeps the text in the box', async () => {
  await page.goto(base);
  await page.locator('#message').evaluate((el: HTMLTextAreaElement) => {
    el.removeAttribute('maxlength');
    el.value = 'x'.repeat(5000);
  });
  await page.locator('#send').click();
  await page.locator('#messages .notice.error').waitFor();
  expect(await page.locator('#messages .notice.error').textContent()).toContain('limit is 4,000');
  expect((await page.locator('#message').inputValue()).length).toBe(5000);
});

test('deleting the open conversation removes it and returns to a new chat', async () => {
  await page.goto(base);
  const before = await page.locator('#conversation-list li').count();
  expect(before).toBeGreaterThan(0);
  await page.locator('#conversation-list li a').first().click();
  await page.waitForURL(/\/c\//);
  page.once('dialog', (d) => void d.accept());
  await page.locator('#conversation-list li.active .delete').click();
  await page.waitForURL(`${base}/`);
  expect(await page.locator('#conversation-list li').count()).toBe(before - 1);
});

test('Shift+Enter adds a line; a reload while an answer is written re-attaches to it', async () => {
  await page.goto(base);
  const box = page.locator('#message');
  await box.fill('How do I add my own documents');
  await box.press('Shift+Enter');
  await box.type('and run ingestion again?');
  expect(await box.inputValue()).toBe('How do I add my own documents\nand run ingestion again?');
  expect(await page.locator('.msg.user').count()).toBe(0);

  await box.press('Enter');
  await answerStarted(page);
  await page.waitForURL(/\/c\//);
  // Reload mid-answer: the server keeps writing, and the page picks the stream up again; Send
  // stays disabled until that answer is done.
  await page.reload();
  await page.locator('.msg.assistant.streaming .stop').waitFor({ timeout: 5_000 });
  expect(await page.locator('#send').isDisabled()).toBe(true);
  await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  expect(await page.locator('#send').isDisabled()).toBe(false);
  expect(await page.locator('.msg.user .bubble').textContent()).toBe(
    'How do I add my own documents\nand run ingestion again?',
  );
  const answer = (await page.locator('.msg.assistant .answer').textContent()) ?? '';
  const stored = (await t.deps.chat.messages('local', page.url().split('/c/')[1])).messages[1];
  expect(stored?.status).toBe('complete');
  // The page shows the stored Markdown rendered: the same words, without list markers.
  const words = (x: string) => x.replace(/^- /gm, '').replace(/\s+/g, ' ').trim();
  expect(words(answer)).toBe(words(stored?.content as string));
  expect(await page.locator('.stop').count()).toBe(0);

  // A next question after the re-attached one streams normally: no false "connection lost".
  await box.fill('Where is my data?');
  await box.press('Enter');
  await page.locator('.msg.assistant.complete').nth(1).waitFor({ timeout: 20_000 });
  expect(await page.locator('.badge.failed').count()).toBe(0);
  expect(await page.locator('.msg.assistant').count()).toBe(2);
  // Two paced answers: about 5 s of the answerer writing, beyond bun's default 5 s per test.
}, 30_000);

test('the documents page uploads with progress, lists, and deletes a document', async () => {
  await page.goto(`${base}/docs`);
  const before = await page.locator('#documents tbody tr').count();
  await page.locator('#upload-file').setInputFiles({
    name: 'on-call.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from('# On-call handbook\n\nPage the secondary after fifteen minutes without an answer.\n'),
  });
  await page.locator('#upload-form button[type="submit"]').click();
  const outcome = page.locator('#upload-queue li .upload-outcome.notice');
  await outcome.waitFor();
  expect(await outcome.textContent()).toBe('Added "On-call handbook" (1 chunk).');
  await page.locator('#documents tr', { hasText: 'uploads/on-call.md' }).waitFor();
  expect(await page.locator('#documents tbody tr').count()).toBe(before + 1);
  expect(await page.locator('#upload-queue progress').isHidden()).toBe(true);

  // The chat finds it.
  await page.goto(base);
  await page.locator('#message').fill('When do I page the secondary?');
  await page.locator('#message').press('Enter');
  await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  expect(await page.locator('.msg.assistant .sources .source.cited .path').allTextContents()).toContain(
    'uploads/on-call.md',
  );

  await page.goto(`${base}/docs`);
  page.once('dialog', (d) => void d.accept());
  await page.locator('#documents tr', { hasText: 'uploads/on-call.md' }).locator('.doc-delete').click();
  await page.locator('#documents tr', { hasText: 'uploads/on-call.md' }).waitFor({ state: 'detached' });
  expect(await page.locator('#documents tbody tr').count()).toBe(before);
});

test('a hostile document quoted back in an answer shows its markup as text and runs nothing', async () => {
  await t.deps.ingestion.ingestFile(
    'uploads/hostile.md',
    new TextEncoder().encode(
      '# Zanzibar procedure\n\nThe zanzibar procedure starts with <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> then finishes.\n',
    ),
  );
  await page.goto(base);
  await page.locator('#message').fill('How does the zanzibar procedure start?');
  await page.locator('#message').press('Enter');
  await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  const answer = (await page.locator('.msg.assistant .answer').textContent()) ?? '';
  expect(answer).toContain('<img src=x onerror=');
  expect(answer).toContain('<script>');
  expect(await page.locator('.msg.assistant .answer img, .msg.assistant .answer script').count()).toBe(0);
  // The sources panel shows the passage as text too.
  expect(await page.locator('.sources img, .sources script').count()).toBe(0);
  await page.reload();
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
});

test('citations are numbered links while the answer streams, show their passage on hover or focus, and open the original at their section', async () => {
  await page.goto(base);
  await page.evaluate(() => {
    const w = window as unknown as { linkedWhileStreaming: boolean };
    w.linkedWhileStreaming = false;
    new MutationObserver(() => {
      if (document.querySelector('.msg.assistant.streaming .answer a.cite')) w.linkedWhileStreaming = true;
    }).observe(document.getElementById('messages') as HTMLElement, { childList: true, subtree: true });
  });
  // Cites the prompt's passages 2 and 3: shown as [1] and [2].
  await page.locator('#message').fill('What does the offline mode do?');
  await page.locator('#message').press('Enter');
  await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  expect(await page.evaluate(() => (window as unknown as { linkedWhileStreaming: boolean }).linkedWhileStreaming)).toBe(
    true,
  );

  // Numbered 1..n in the order first cited: no gaps, and the panel lists them so.
  const shown = (await page.locator('.msg.assistant .answer a.cite').allTextContents()).map((x) =>
    Number(x.slice(1, -1)),
  );
  const firsts = [...new Set(shown)];
  expect(firsts).toEqual(firsts.map((_, i) => i + 1));
  expect(await page.locator('.msg.assistant .source.cited .num').allTextContents()).toEqual(
    firsts.map((n) => `[${n}]`),
  );

  // Hover: the cited passage's title and snippet, next to the citation.
  const first = page.locator('.msg.assistant .answer a.cite').first();
  // Scrolling hides the preview (it would float away from its link): let the message list finish
  // scrolling to the answer before pointing at the citation, or a late scroll event hides it again.
  await first.scrollIntoViewIfNeeded();
  await page.waitForFunction(
    () =>
      new Promise((settled) => {
        const box = () => document.querySelector('.msg.assistant .answer a.cite')?.getBoundingClientRect().top;
        const before = box();
        requestAnimationFrame(() => requestAnimationFrame(() => settled(box() === before)));
      }),
  );
  await first.hover();
  const preview = page.locator('#cite-preview');
  await preview.waitFor({ state: 'visible' });
  const target = (await first.getAttribute('href')) as string;
  const snippet = (await page.locator(`${target} .snippet`).textContent()) ?? '';
  expect(await preview.textContent()).toContain(snippet.slice(0, 60));
  // Focus (the keyboard's hover) does the same, and a screen reader gets the snippet too.
  await page.mouse.move(0, 0);
  await preview.waitFor({ state: 'hidden' });
  await first.focus();
  await preview.waitFor({ state: 'visible' });
  const describedBy = (await first.getAttribute('aria-describedby')) as string;
  expect(await page.locator(`#${describedBy}`).textContent()).toBe(snippet);

  // The source's title opens the Markdown original as a page, at the cited section.
  const [original] = await Promise.all([page.waitForEvent('popup'), page.locator(`${target} a.title`).click()]);
  await original.waitForLoadState();
  const anchor = new URL(original.url()).hash.slice(1);
  expect(anchor).toMatch(/^[a-z0-9-]+$/);
  const heading = original.locator(`[id="${anchor}"]`);
  expect(await heading.evaluate((el) => el.tagName)).toMatch(/^H[1-6]$/);
  const box = await heading.boundingBox();
  expect(box && box.y >= 0 && box.y < 200).toBe(true);
  await original.close();
  // A streamed answer, then hover, focus and a new tab: under a loaded machine it needs more than the default 30 s.
}, 60_000);
