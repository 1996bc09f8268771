import { expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { ADMIN, makeAccountsApp } from '../support/accounts.ts';
import { axeViolations } from '../support/axe.ts';
import { beforeSuite } from '../support/before-suite.ts';
import { browserSuite, logIn, screenshotPath } from '../support/browser.ts';

/**
 * Every page of the product in a real browser (Debian's Chromium), with accounts on so that the
 * log-in, account and admin pages exist: one design on every page, at phone and desktop widths,
 * in light and dark.
 */
// Many log-ins from one address within a minute: more than the login rate limit lets through.
const suite = browserSuite(() => makeAccountsApp({ RATE_LIMIT_LOGINS_PER_MINUTE: '1000' }));
let conversationUrl = '';

/** The conversation the README's pictures show. */
let pictureUrl = '';

beforeSuite(async () => {
  // A few conversations, one with a long title, so that the pages show a real side list.
  const { page, context } = await signedIn({ width: 1280, height: 800 });
  await ask(page, 'How are answers streamed to the browser, and what happens with a very long question like this one?');
  conversationUrl = page.url();
  for (const question of ['What does the offline mode do?', 'How do I add my own documents?']) {
    await page.goto(`${suite.base}/`);
    await ask(page, question);
  }
  await page.goto(`${suite.base}/`);
  await ask(page, 'How are answers streamed to the browser?');
  pictureUrl = page.url();
  await context.close();
});

type Viewport = { width: number; height: number };

function signedIn(viewport: Viewport, colorScheme: 'light' | 'dark' = 'light') {
  return logIn(suite, ADMIN, { viewport, colorScheme });
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
const pathOf = (p: (typeof SIGNED_IN)[number]) => (p === 'conversation' ? conversationUrl : `${suite.base}${p}`);

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
  const anonymous = await suite.browser.newPage();
  await anonymous.goto(`${suite.base}/login`);
  expect(await anonymous.locator('.card h1').textContent()).toBe('Log in');
  expect(await anonymous.locator('.card .button.primary').textContent()).toBe('Log in');
  await anonymous.close();
});

test('a successful upload and a "nothing to do" one look different, and neither looks like an error', async () => {
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  await page.goto(`${suite.base}/docs`);
  const file = { name: 'colours.md', mimeType: 'text/markdown', buffer: Buffer.from('# Colours\n\nTeal is calm.\n') };
  const notice = async () => {
    await page.locator('#upload-file').setInputFiles(file);
    const done = await page.locator('#upload-queue .upload-outcome.notice').count();
    await page.locator('#upload-form button[type="submit"]').click();
    const n = page.locator('#upload-queue .upload-outcome.notice').nth(done);
    await n.waitFor();
    return { text: await n.textContent(), kind: await n.getAttribute('class'), bg: await n.evaluate(colourOf) };
  };
  const added = await notice();
  expect(added.text).toBe('Added "Colours" (1 chunk).');
  expect(added.kind).toBe('upload-outcome notice success');
  const again = await notice();
  expect(again.text).toContain('Nothing to do');
  expect(again.kind).toBe('upload-outcome notice info');
  expect(again.bg).not.toBe(added.bg);
  await context.close();
});

function colourOf(el: Element): string {
  return getComputedStyle(el).backgroundColor;
}

/**
 * What sticks out sideways: the page's own width beyond the window, and any element whose right
 * edge passes the window's, unless a scroll box of its own (a code block, a wide table in an
 * answer) holds it.
 */
async function overflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const found: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > width) found.push(`the page is ${root.scrollWidth} px wide`);
    const clipped = (el: Element): boolean => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX) && !p.matches('.main, .app'))
          return p.getBoundingClientRect().right <= width + 1;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.right <= width + 1 || el.closest('.visually-hidden')) continue;
      if (getComputedStyle(el).visibility === 'hidden' || clipped(el)) continue;
      found.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ends at ${Math.round(rect.right)} px`);
    }
    return found.slice(0, 5);
  });
}

for (const width of [360, 390, 430, 1280]) {
  test(`no page scrolls sideways at ${width} px`, async () => {
    const { context, page } = await signedIn({ width, height: 800 });
    for (const path of SIGNED_IN) {
      await page.goto(pathOf(path));
      expect({ path, overflow: await overflow(page) }).toEqual({ path, overflow: [] });
    }
    await context.close();
    const anonymous = await suite.browser.newPage({ viewport: { width, height: 800 } });
    await anonymous.goto(`${suite.base}/login`);
    expect({ path: '/login', overflow: await overflow(anonymous) }).toEqual({ path: '/login', overflow: [] });
    await anonymous.close();
  });
}

test('on a phone the menu button opens the side bar as a drawer, with Documents, the account and Log out', async () => {
  const { context, page } = await signedIn({ width: 390, height: 844 });
  await page.goto(conversationUrl);
  // Closed, the drawer is out of sight and out of the tab order.
  expect(await page.locator('#sidebar').isVisible()).toBe(false);
  const menu = page.locator('.menu-button');
  expect(await menu.getAttribute('aria-expanded')).toBe('false');
  await menu.click();
  expect(await menu.getAttribute('aria-expanded')).toBe('true');
  const documents = page.locator('#sidebar .docs-link');
  await documents.waitFor({ state: 'visible' });
  await transitionsDone(page);
  expect(await inViewport(page, '#sidebar .who')).toBe(true);
  expect(await inViewport(page, '#sidebar .log-out')).toBe(true);
  // Escape closes it and gives focus back to the menu button.
  await page.keyboard.press('Escape');
  await page.locator('#sidebar').waitFor({ state: 'hidden' });
  expect(await page.evaluate(() => document.activeElement?.classList.contains('menu-button'))).toBe(true);

  await menu.click();
  await documents.click();
  await page.waitForURL(`${suite.base}/docs`);
  await page.locator('.menu-button').click();
  await page.locator('#sidebar .log-out').click();
  await page.waitForURL(`${suite.base}/login`);
  await context.close();
});

test('on a phone the composer stays usable with the keyboard up, and tables become lists', async () => {
  const { context, page } = await signedIn({ width: 390, height: 844 });
  await page.goto(conversationUrl);
  // An on-screen keyboard takes about half the height; the page is laid out for what is left
  // (the viewport meta's interactive-widget=resizes-content).
  await page.setViewportSize({ width: 390, height: 420 });
  const composer = await page.locator('#composer').boundingBox();
  expect(composer).not.toBeNull();
  expect((composer?.y ?? 0) + (composer?.height ?? 0)).toBeLessThanOrEqual(420);
  expect(await inViewport(page, '#send')).toBe(true);
  await ask(page, 'What does the offline mode do?');
  expect(await inViewport(page, '#composer')).toBe(true);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${suite.base}/docs`);
  const row = page.locator('#documents tbody tr').first();
  expect(await row.evaluate((el) => getComputedStyle(el).display)).toBe('block');
  expect(await page.locator('#documents thead').evaluate((el) => el.getBoundingClientRect().height <= 1)).toBe(true);
  // Each card shows its labels, and its Delete is on screen.
  expect(await row.locator('td[data-label="Source"]').evaluate((el) => getComputedStyle(el, '::before').content)).toBe(
    '"Source"',
  );
  await page.locator('#documents tbody tr:first-child .doc-delete').scrollIntoViewIfNeeded();
  expect(await inViewport(page, '#documents tbody tr:first-child .doc-delete')).toBe(true);
  await context.close();
});

/** Waits for the drawer's slide (a CSS transition) to end. */
async function transitionsDone(page: Page): Promise<void> {
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
}

/** Whether the element is shown and wholly inside the window. */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect();
    const shown = getComputedStyle(el).visibility !== 'hidden' && r.width > 0 && r.height > 0;
    // A pixel of slack: layout positions are fractional.
    return shown && r.left >= -1 && r.top >= -1 && r.right <= innerWidth + 1 && r.bottom <= innerHeight + 1;
  });
}

for (const [width, height] of [
  [390, 844],
  [1280, 800],
] as const) {
  for (const scheme of ['light', 'dark'] as const) {
    test(`axe-core finds no serious or critical violation on any page at ${width} px, ${scheme}`, async () => {
      const { context, page } = await signedIn({ width, height }, scheme);
      for (const path of SIGNED_IN) {
        await page.goto(pathOf(path));
        expect({ path, violations: await axeViolations(page) }).toEqual({ path, violations: [] });
      }
      if (width < 760) {
        await page.goto(conversationUrl);
        await page.click('.menu-button');
        await transitionsDone(page);
        expect({ path: 'open drawer', violations: await axeViolations(page) }).toEqual({
          path: 'open drawer',
          violations: [],
        });
      }
      await context.close();
      const anonymous = await suite.browser.newPage({ viewport: { width, height }, colorScheme: scheme });
      await anonymous.goto(`${suite.base}/login`);
      expect({ path: '/login', violations: await axeViolations(anonymous) }).toEqual({
        path: '/login',
        violations: [],
      });
      await anonymous.close();
    });
  }
}

test('a screen reader hears the answer once, when it ends, not word by word', async () => {
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  // The conversation is not a live region; the announcer is the only one that speaks.
  expect(await page.locator('#messages').getAttribute('aria-live')).toBeNull();
  expect(await page.locator('#announcer').getAttribute('aria-live')).toBe('polite');
  await page.evaluate(() => {
    const w = window as unknown as { announced: string[] };
    w.announced = [];
    const announcer = document.getElementById('announcer') as HTMLElement;
    new MutationObserver(() => w.announced.push(announcer.textContent ?? '')).observe(announcer, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
  await ask(page, 'How do I add my own documents?');
  const announced = await page.evaluate(() => (window as unknown as { announced: string[] }).announced);
  expect(announced.length).toBe(1);
  const answer = (await page.locator('.msg.assistant .answer').last().textContent()) ?? '';
  expect(announced[0]).toStartWith('Answer: ');
  // The same words as the answer shown, without the citation numbers.
  const words = (x: string) =>
    x
      .replace(/\[\d+\]/g, '')
      .replace(/\s+/g, ' ')
      .trim();
  expect(words(announced[0] ?? '')).toBe(words(`Answer: ${answer}`));
  expect(await page.locator('.msg.assistant[aria-live], .answer[aria-live]').count()).toBe(0);
  await context.close();
});

/** Tabs through the page until `selector` has focus; returns how it looked then, or null. */
async function tabTo(page: Page, selector: string, maxTabs = 80): Promise<{ opacity: string; outline: string } | null> {
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab');
    const seen = await page.evaluate((sel) => {
      const el = document.activeElement;
      if (!el?.matches(sel)) return null;
      const style = getComputedStyle(el);
      return { opacity: style.opacity, outline: `${style.outlineStyle} ${style.outlineWidth}` };
    }, selector);
    if (seen) return seen;
  }
  return null;
}

test('every control is reachable and visible by keyboard, delete buttons included', async () => {
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  await page.goto(`${suite.base}/`);
  // A conversation that is not the open one: its delete button shows only on hover or focus.
  const del = await tabTo(page, '#conversation-list li:not(.active) .delete');
  expect(del).toEqual({ opacity: '1', outline: 'solid 2px' });
  await page.keyboard.press('Enter');
  // Enter on it asks for confirmation, as a click does.
  page.once('dialog', (d) => void d.dismiss());

  await page.goto(`${suite.base}/docs`);
  expect(await tabTo(page, '.doc-delete')).toEqual({ opacity: '1', outline: 'solid 2px' });
  for (const selector of ['#sidebar .log-out', '#upload-file']) {
    await page.goto(`${suite.base}/docs`);
    expect({ selector, seen: (await tabTo(page, selector)) !== null }).toEqual({ selector, seen: true });
  }
  await context.close();

  // On a phone the menu button comes first, and the drawer's links follow it once it is open.
  const phone = await signedIn({ width: 390, height: 844 });
  await phone.page.goto(`${suite.base}/docs`);
  expect(await tabTo(phone.page, '.menu-button', 3)).not.toBeNull();
  await phone.page.keyboard.press('Enter');
  await transitionsDone(phone.page);
  expect(await tabTo(phone.page, '#sidebar .log-out')).toEqual({ opacity: '1', outline: 'solid 2px' });
  await phone.context.close();
});

/** Shows the conversation from its first question, as a person opening it sees it. */
async function fromTheTop(page: Page): Promise<void> {
  // The page scrolls smoothly to the newest message when it loads; let that end, then go up.
  await page.waitForTimeout(500);
  await page.locator('#messages').evaluate((el) => {
    el.style.scrollBehavior = 'auto';
    el.scrollTop = 0;
  });
  expect(await page.locator('#messages').evaluate((el) => el.scrollTop)).toBe(0);
}

test('the README pictures: the chat in light and dark, a phone, documents, log in and admin', async () => {
  const shots: string[] = [];
  const shoot = async (page: Page, name: string) => {
    await transitionsDone(page);
    const path = screenshotPath(name);
    await page.screenshot({ path });
    shots.push(path);
  };
  for (const scheme of ['light', 'dark'] as const) {
    const { context, page } = await signedIn({ width: 1280, height: 800 }, scheme);
    await page.goto(pictureUrl);
    await fromTheTop(page);
    await shoot(page, `chat-${scheme}`);
    await context.close();
  }
  const phone = await signedIn({ width: 390, height: 844 });
  await phone.page.goto(pictureUrl);
  await fromTheTop(phone.page);
  await shoot(phone.page, 'phone');
  await phone.page.click('.menu-button');
  await shoot(phone.page, 'phone-menu');
  await phone.context.close();

  const desk = await signedIn({ width: 1280, height: 800 });
  await desk.page.goto(`${suite.base}/docs`);
  await shoot(desk.page, 'documents');
  await desk.page.goto(`${suite.base}/admin`);
  await shoot(desk.page, 'admin');
  await desk.context.close();
  const anonymous = await suite.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await anonymous.goto(`${suite.base}/login`);
  await shoot(anonymous, 'login');
  await anonymous.close();
  for (const path of shots) expect(statSync(path).size).toBeGreaterThan(10_000);
  // Eight pictures, each waiting for the page to settle: more than the default 30 s on a busy machine.
}, 90_000);
