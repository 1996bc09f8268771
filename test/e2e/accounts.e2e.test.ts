import { afterAll, expect, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { ADMIN, ALICE, BOB, makeAccountsApp } from '../support/accounts.ts';
import { beforeSuite } from '../support/before-suite.ts';
import { launchChromium } from '../support/chromium.ts';
import type { TestApp } from '../support/test-deps.ts';

/**
 * Accounts in a real browser: log in through the form, ask, log out; another user in another
 * browser context sees none of it and gets no passage from a collection they may not read.
 */
let t: TestApp;
let browser: Browser;
let base: string;
let stop: () => void;

beforeSuite(async () => {
  t = await makeAccountsApp();
  const listening = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  stop = () => listening.stop();
  base = `http://127.0.0.1:${listening.server?.port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  stop?.();
  await t?.cleanup();
});

async function loggedIn(who: { email: string; password: string }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base);
  expect(page.url()).toBe(`${base}/login`);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  return { context, page };
}

test('two people log in, each sees only their own conversation, and HR passages reach only the one granted HR', async () => {
  const question = 'What is the zanzibar salary band for staff engineers?';
  const alice = await loggedIn(ALICE);
  await alice.page.fill('#message', question);
  await alice.page.press('#message', 'Enter');
  await alice.page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  expect(await alice.page.locator('.msg.assistant .answer').textContent()).toContain('140k');
  expect(await alice.page.locator('.sources').textContent()).toContain('salaries.md');
  const aliceUrl = alice.page.url();

  const bob = await loggedIn(BOB);
  // Bob's side list is empty, and Alice's conversation is not found for him.
  expect(await bob.page.locator('#conversation-list a').count()).toBe(0);
  const other = await bob.page.goto(aliceUrl);
  expect(other?.status()).toBe(404);
  await bob.page.goto(base);
  await bob.page.fill('#message', question);
  await bob.page.press('#message', 'Enter');
  await bob.page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  const bobsView = (await bob.page.locator('#messages').textContent()) ?? '';
  expect(bobsView).not.toContain('140k');
  expect(bobsView).not.toContain('salaries.md');

  // Log out: the session is over, and the pages ask for a login again.
  await bob.page.click('.account-links button');
  await bob.page.waitForURL(`${base}/login`);
  await bob.page.goto(base);
  expect(bob.page.url()).toBe(`${base}/login`);
  await alice.context.close();
  await bob.context.close();
});

test('an admin adds a user on the admin page, who can then log in', async () => {
  const admin = await loggedIn(ADMIN);
  await admin.page.click('a[href="/admin"]');
  await admin.page.waitForURL(`${base}/admin`);
  const add = admin.page.locator('#users form').last();
  await add.locator('input[name=email]').fill('dora@example.com');
  await add.locator('input[name=password]').fill('dora-password-123');
  await add.locator('button[type=submit]').click();
  await admin.page.locator('#users .notice', { hasText: 'Added dora@example.com.' }).waitFor({ timeout: 5_000 });
  await admin.page.reload();
  expect(await admin.page.locator('.audit').textContent()).toContain('user.create');
  await admin.context.close();
  const dora = await loggedIn({ email: 'dora@example.com', password: 'dora-password-123' });
  expect(await dora.page.locator('.account-links .who').textContent()).toBe('dora@example.com');
  await dora.context.close();
});
