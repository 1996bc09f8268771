import { afterAll } from 'bun:test';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { beforeSuite } from './before-suite.ts';
import { launchChromium } from './chromium.ts';
import type { TestApp } from './test-deps.ts';

/** Serves a test app on a free loopback port; returns its base URL and how to stop it. */
export function serve(t: TestApp): { base: string; stop: () => void } {
  const listening = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  return { base: `http://127.0.0.1:${listening.server?.port}`, stop: () => listening.stop() };
}

/** What a browser suite's tests use, filled in by its set-up. */
export interface BrowserSuite<T extends TestApp> {
  t: T;
  base: string;
  browser: Browser;
}

/**
 * A suite that drives a real browser against a real server: the app from `makeApp` served on a
 * free port, and one Chromium; both stopped after the suite.
 */
export function browserSuite<T extends TestApp>(makeApp: () => Promise<T>): BrowserSuite<T> {
  const suite = {} as BrowserSuite<T>;
  let stop = () => {};
  beforeSuite(async () => {
    suite.t = await makeApp();
    ({ base: suite.base, stop } = serve(suite.t));
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    stop();
    await suite.t?.cleanup();
  });
  return suite;
}

/** A fresh browser context (its own cookies) logged in through the log-in form, on the chat. */
export async function logIn(
  suite: BrowserSuite<TestApp>,
  who: { email: string; password: string },
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await suite.browser.newContext(options);
  const page = await context.newPage();
  await page.goto(suite.base);
  await page.waitForURL(`${suite.base}/login`);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${suite.base}/`);
  return { context, page };
}

/**
 * Where a browser test leaves a picture of a page: test-results/ (ignored by git), so a test run
 * leaves the clone clean; with `UPDATE_SCREENSHOT=1`, test/e2e/screenshots/, the README's pictures.
 */
export function screenshotPath(name: string): string {
  return process.env.UPDATE_SCREENSHOT
    ? join(import.meta.dir, '..', 'e2e', 'screenshots', `${name}.png`)
    : join(import.meta.dir, '..', '..', 'test-results', `${name}.png`);
}
