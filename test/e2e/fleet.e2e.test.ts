import { afterAll, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { beforeSuite } from '../support/before-suite.ts';
import { launchChromium } from '../support/chromium.ts';
import { type Fleet, startFleet } from '../support/fleet.ts';
import { dropSchemas } from '../support/postgres.ts';

/**
 * The page in a real browser (Debian's Chromium) in front of three instances with no stickiness:
 * the question goes to one, the reload's re-attach to another, the Stop to a third, and the
 * reader sees what one server would show.
 */
const WRITER = 0;
const FOLLOWER = 1;
const STOPPER = 2;
let fleet: Fleet;
let browser: Browser;

beforeSuite(async () => {
  fleet = await startFleet(3);
  // Pinned where it matters, so that every cross-instance path is taken on every run; the rest
  // (pages, assets) goes round-robin.
  fleet.proxy.route = (request, path) => {
    if (request.method === 'POST' && path === '/chat/messages') return WRITER;
    if (path.endsWith('/stream')) return FOLLOWER;
    if (path.endsWith('/stop')) return STOPPER;
    return undefined;
  };
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await dropSchemas();
});

const slowly = (n: number) => {
  fleet.llm.script = { tokens: Array.from({ length: n }, (_, i) => ` w${i}`), delayMs: 40 };
};

async function askOnPage(page: Page, question: string): Promise<void> {
  await page.goto(fleet.proxy.url);
  await page.locator('#message').fill(question);
  await page.locator('#message').press('Enter');
  await page.waitForFunction(
    () => (document.querySelector('.msg.assistant.streaming .answer')?.textContent ?? '').trim().length > 0,
    undefined,
    { timeout: 10_000 },
  );
  await page.waitForURL(/\/c\//);
}

/** The lengths the streaming answer shows, each time it changes. */
async function watchGrowth(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { lengths: number[] };
    w.lengths = [];
    new MutationObserver(() => {
      const n = document.querySelector('.msg.assistant.streaming .answer')?.textContent?.length ?? 0;
      if (n > 0 && w.lengths[w.lengths.length - 1] !== n) w.lengths.push(n);
    }).observe(document.getElementById('messages') as HTMLElement, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
  return () => page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
}

const servedBy = (path: RegExp) => fleet.proxy.served.filter((r) => path.test(r.path)).map((r) => r.upstream);

test('a reload mid-answer, re-attached through another instance, shows the answer still growing to its end', async () => {
  slowly(120);
  const page = await browser.newPage();
  try {
    await askOnPage(page, 'How are answers streamed to the browser?');
    await page.reload();
    await page.locator('.msg.assistant.streaming .stop').waitFor({ timeout: 5_000 });
    expect(await page.locator('.notice, .msg.assistant.pending').count()).toBe(0);
    const lengths = await watchGrowth(page);
    await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
    const grown = await lengths();
    expect(grown.length).toBeGreaterThanOrEqual(5);
    expect(grown).toEqual([...grown].sort((a, b) => a - b));
    const words = ((await page.locator('.msg.assistant .answer').textContent()) ?? '').replace(/\s+/g, ' ').trim();
    expect(words).toBe(Array.from({ length: 120 }, (_, i) => `w${i}`).join(' '));
    expect(servedBy(/^\/chat\/messages$/)).toContain(WRITER);
    expect(servedBy(/\/stream$/)).toContain(FOLLOWER);
  } finally {
    await page.close();
  }
}, 40_000);

test('Stop works from another instance, before and after a reload, and keeps the partial answer', async () => {
  slowly(400);
  const page = await browser.newPage();
  try {
    // Stop reaches an instance that neither writes the answer nor serves its stream.
    await askOnPage(page, 'What does the offline mode do?');
    await page.locator('.msg.assistant.streaming .stop').click();
    await page.locator('.msg.assistant.stopped').waitFor({ timeout: 5_000 });
    const partial = (await page.locator('.msg.assistant.stopped .answer').textContent()) ?? '';
    expect(partial.length).toBeGreaterThan(0);
    await page.reload();
    expect(await page.locator('.msg.assistant.stopped .answer').textContent()).toBe(partial);

    // A new conversation, re-attached through a second instance, stopped through a third.
    await askOnPage(page, 'And where is my data?');
    await page.reload();
    await page.locator('.msg.assistant.streaming .stop').click();
    await page.locator('.msg.assistant.stopped').waitFor({ timeout: 5_000 });
    expect(((await page.locator('.msg.assistant.stopped .answer').textContent()) ?? '').length).toBeGreaterThan(0);
    expect(await page.locator('.msg.assistant.streaming').count()).toBe(0);
    expect(await page.locator('#send').isDisabled()).toBe(false);
    const rows = await fleet.sql<{ status: string }[]>`
      SELECT status FROM messages WHERE role = 'assistant' AND status = 'stopped'`;
    expect(rows.length).toBe(2);
    expect(servedBy(/\/stop$/).every((i) => i === STOPPER)).toBe(true);
  } finally {
    await page.close();
  }
}, 40_000);
