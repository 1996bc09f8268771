import { afterAll, expect, test } from 'bun:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, makeAccountsApp } from '../support/accounts.ts';
import { beforeSuite } from '../support/before-suite.ts';
import { launchChromium, serve } from '../support/browser.ts';
import type { TestApp } from '../support/test-deps.ts';

/**
 * Every page of the product in a real browser (Debian's Chromium), with accounts on so that the
 * log-in, account and admin pages exist: one design on every page, at phone and desktop widths,
 * in light and dark.
 */
let t: TestApp;
let browser: Browser;
let base: string;
let stop: () => void;
let conversationUrl = '';

beforeSuite(async () => {
  t = await makeAccountsApp();
  ({ base, stop } = serve(t));
  browser = await launchChromium();
  // One conversation with a long title, so that the pages show a real side list and answer.
  const { page, context } = await signedIn({ width: 1280, height: 800 });
  await ask(page, 'How are answers streamed to the browser, and what happens with a very long question like this one?');
  conversationUrl = page.url();
  await context.close();
});

afterAll(async () => {
  await browser?.close();
  stop?.();
  await t?.cleanup();
});

type Viewport = { width: number; height: number };

async function signedIn(
  viewport: Viewport,
  colorScheme: 'light' | 'dark' = 'light',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#email', ADMIN.email);
  await page.fill('#password', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  return { context, page };
}

async function ask(page: Page, question: string): Promise<void> {
  const done = await page.locator('.msg.assistant.complete').count();
  await page.fill('#message', question);
  await page.press('#message', 'Enter');
  await page.locator('.msg.assistant.complete').nth(done).waitFor({ timeout: 20_000 });
  await page.waitForURL(/\/c\//);
}

/** The signed-in pages, by the path a person opens. */
const SIGNED_IN = ['/', 'conversation', '/docs', '/account', '/admin', '/no-such-page'] as const;
const pathOf = (p: (typeof SIGNED_IN)[number]) => (p === 'conversation' ? conversationUrl : `${base}${p}`);

test('every page is drawn from the one stylesheet: signed-in pages share the side bar, the others the card', async () => {
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  for (const path of SIGNED_IN) {
    await page.goto(pathOf(path));
    const sheets = await page.evaluate(() => [...document.styleSheets].map((s) => new URL(s.href ?? '').pathname));
    expect(sheets).toEqual(['/assets/app.css']);
    if (path === '/no-such-page') {
      expect(await page.locator('.card h1').textContent()).toBe('Not found');
      continue;
    }
    // The same side bar everywhere: conversations, Documents, the account, Log out.
    expect(await page.locator('#sidebar #conversation-list li').count()).toBeGreaterThan(0);
    for (const link of ['Documents', ADMIN.email, 'Admin', 'Log out']) {
      expect(await page.locator('#sidebar').getByText(link, { exact: true }).isVisible()).toBe(true);
    }
    const current = await page.locator('#sidebar [aria-current="page"]').allTextContents();
    const expected = { '/docs': ['Documents'], '/account': [ADMIN.email], '/admin': ['Admin'] } as Record<
      string,
      string[]
    >;
    expect(current.map((c) => c.trim())).toEqual(expected[path] ?? []);
  }
  await context.close();
  const anonymous = await browser.newPage();
  await anonymous.goto(`${base}/login`);
  expect(await anonymous.locator('.card h1').textContent()).toBe('Log in');
  expect(await anonymous.locator('.card .button.primary').textContent()).toBe('Log in');
  await anonymous.close();
});

test('a successful upload and a "nothing to do" one look different, and neither looks like an error', async () => {
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  await page.goto(`${base}/docs`);
  const file = { name: 'colours.md', mimeType: 'text/markdown', buffer: Buffer.from('# Colours\n\nTeal is calm.\n') };
  const notice = async () => {
    await page.locator('#upload-file').setInputFiles(file);
    await page.locator('#upload-form button[type="submit"]').click();
    await page.locator('#documents .notice').waitFor();
    const n = page.locator('#documents .notice');
    return { text: await n.textContent(), kind: await n.getAttribute('class'), bg: await n.evaluate(colourOf) };
  };
  const added = await notice();
  expect(added.text).toBe('Added "Colours" (1 chunk).');
  expect(added.kind).toBe('notice success');
  const again = await notice();
  expect(again.text).toContain('Nothing to do');
  expect(again.kind).toBe('notice info');
  expect(again.bg).not.toBe(added.bg);
  await context.close();
});

function colourOf(el: Element): string {
  return getComputedStyle(el).backgroundColor;
}
