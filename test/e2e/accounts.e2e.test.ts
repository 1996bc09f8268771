import { expect, test } from 'bun:test';
import { ADMIN, ALICE, BOB, makeAccountsApp } from '../support/accounts.ts';
import { browserSuite, logIn } from '../support/browser.ts';

/**
 * Accounts in a real browser: log in through the form, ask, log out; another user in another
 * browser context sees none of it and gets no passage from a collection they may not read.
 */
const suite = browserSuite(makeAccountsApp);

const loggedIn = (who: { email: string; password: string }) => logIn(suite, who);

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
  await bob.page.goto(suite.base);
  await bob.page.fill('#message', question);
  await bob.page.press('#message', 'Enter');
  await bob.page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  const bobsView = (await bob.page.locator('#messages').textContent()) ?? '';
  expect(bobsView).not.toContain('140k');
  expect(bobsView).not.toContain('salaries.md');

  // Log out: the session is over, and the pages ask for a login again.
  await bob.page.click('.account-links button');
  await bob.page.waitForURL(`${suite.base}/login`);
  await bob.page.goto(suite.base);
  expect(bob.page.url()).toBe(`${suite.base}/login`);
  await alice.context.close();
  await bob.context.close();
});

test('an admin adds a user on the admin page, who can then log in', async () => {
  const admin = await loggedIn(ADMIN);
  await admin.page.click('a[href="/admin"]');
  await admin.page.waitForURL(`${suite.base}/admin`);
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
