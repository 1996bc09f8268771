import { expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { axeViolations } from '../support/axe.ts';
import { browserSuite } from '../support/browser.ts';
import { makeTestApp } from '../support/test-deps.ts';

/**
 * The interface in the reader's language, in a real browser (Debian's Chromium): Spanish chosen
 * by the browser's own Accept-Language, and by the picker in the side bar, remembered across a
 * reload and a new tab. (The answer's own wording in Spanish is the answerer's; see its tests.)
 */
const suite = browserSuite(() => makeTestApp());

const newPage = async (locale: string): Promise<Page> => {
  const context = await suite.browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  return context.newPage();
};

async function ask(page: Page, question: string): Promise<void> {
  const done = await page.locator('.msg.assistant.complete').count();
  await page.fill('#message', question);
  await page.press('#message', 'Enter');
  await page.locator('.msg.assistant.complete').nth(done).waitFor({ timeout: 20_000 });
}

test('a browser that asks for Spanish gets the page in Spanish, errors and all', async () => {
  const page = await newPage('es-ES');
  const sent = page.waitForRequest((r) => r.url() === `${suite.base}/`);
  await page.goto(`${suite.base}/`);
  expect((await sent).headers()['accept-language']).toStartWith('es');
  expect(await page.getAttribute('html', 'lang')).toBe('es');
  expect(await page.title()).toBe('ragchat');
  expect(await page.locator('h1#chat-title').textContent()).toBe('Conversación nueva');
  expect((await page.locator('#send').textContent())?.trim()).toBe('Enviar');
  expect(await page.getAttribute('#message', 'placeholder')).toBe('Pregunta sobre tus documentos…');
  expect(await page.locator('#sidebar').getByText('Documentos', { exact: true }).isVisible()).toBe(true);
  expect(await page.locator('.empty-state h2').textContent()).toBe('Pregunta a tus documentos');

  await ask(page, '¿Cómo añado mis propios documentos?');
  const answer = page.locator('.msg.assistant.complete').last();
  expect((await answer.locator('.copy-answer').textContent())?.trim()).toBe('Copiar');
  expect(await answer.locator('.thumb.up').getAttribute('aria-label')).toBe('Buena respuesta');
  expect(await page.locator('.sources').first().getAttribute('aria-label')).toBe('Fuentes');
  expect(await page.locator('.conv-group-title').first().textContent()).toBe('Hoy');
  // The scripts' own sentences come from the page, in the same language.
  const strings = await page.evaluate(() => JSON.parse(document.body.dataset.strings ?? '{}'));
  expect(strings).toMatchObject({ copied: 'Copiado', waiting: 'En espera…' });

  await page.goto(`${suite.base}/docs`);
  expect(await page.locator('h1').textContent()).toBe('Documentos');
  expect(await page.locator('#documents th').allTextContents()).toEqual([
    'Título',
    'Origen',
    'Colección',
    'Fragmentos',
    'Actualizado',
    'Acciones',
  ]);
  // Dates the Spanish way (day, then the month's Spanish abbreviation), not 2026-12-01 14:30.
  expect(await page.locator('#documents td[data-label="Actualizado"]').first().textContent()).toMatch(
    /^\d{1,2} [a-z]{3,5}\.? \d{4}, \d{1,2}:\d{2}$/,
  );

  // An upload the server refuses says why, in Spanish, in the upload's own line.
  await page.setInputFiles('#upload-file', {
    name: 'notas.exe',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('MZ'),
  });
  await page.click('#upload-form button[type=submit]');
  const refusal = page.locator('#upload-queue .upload-outcome.notice.error');
  await refusal.waitFor();
  expect(await refusal.textContent()).toStartWith('No se puede subir "notas.exe": solo se aceptan archivos .md');

  await page.goto(`${suite.base}/no-such-page`);
  expect(await page.locator('.card h1').textContent()).toBe('No encontrado');
  expect(await page.locator('.card p').nth(1).textContent()).toBe('No hay nada en esta dirección.');
  await page.context().close();
});

test('the Spanish page has no serious or critical accessibility violation', async () => {
  const page = await newPage('es');
  for (const path of ['/', '/docs']) {
    await page.goto(`${suite.base}${path}`);
    expect({ path, violations: await axeViolations(page) }).toEqual({ path, violations: [] });
  }
  await page.context().close();
});

test('the picker switches the page to Spanish, and the choice is remembered', async () => {
  const page = await newPage('en-US');
  await page.goto(`${suite.base}/docs`);
  expect(await page.getAttribute('html', 'lang')).toBe('en');
  expect(await page.locator('h1').textContent()).toBe('Documents');
  // With the script, choosing is enough: the Apply button is for pages without it.
  expect(await page.locator('.language-picker button').count()).toBe(0);

  await Promise.all([page.waitForURL(`${suite.base}/docs`), page.selectOption('#language-choice', 'es')]);
  await page.locator('html[lang="es"]').waitFor();
  expect(await page.locator('h1').textContent()).toBe('Documentos');
  expect(await page.locator('#language-choice').inputValue()).toBe('es');

  await page.reload();
  expect(await page.locator('h1').textContent()).toBe('Documentos');
  const other = await page.context().newPage();
  await other.goto(`${suite.base}/`);
  expect(await other.locator('h1#chat-title').textContent()).toBe('Conversación nueva');
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === 'ragchat_lang')?.value).toBe('es');

  // And back: the picker wins over the browser's language both ways.
  await Promise.all([other.waitForURL(`${suite.base}/`), other.selectOption('#language-choice', 'en')]);
  await other.locator('html[lang="en"]').waitFor();
  expect(await other.locator('h1#chat-title').textContent()).toBe('New conversation');
  await page.context().close();
});
