import { type Browser, chromium } from 'playwright-core';
import type { TestApp } from './test-deps.ts';

/** Debian's Chromium (Playwright's own browser download fetches from outside the registries). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium, with nothing that reaches the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Serves a test app on a free loopback port; returns its base URL and how to stop it. */
export function serve(t: TestApp): { base: string; stop: () => void } {
  const listening = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  return { base: `http://127.0.0.1:${listening.server?.port}`, stop: () => listening.stop() };
}
