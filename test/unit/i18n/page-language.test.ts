import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

/** The language a request is answered in, through the whole app (`app.handle`, no port). */
let t: TestApp;
let spanishByDefault: TestApp;

beforeAll(async () => {
  [t, spanishByDefault] = await Promise.all([
    makeTestApp({ seed: false }),
    makeTestApp({ seed: false, env: { DEFAULT_LANGUAGE: 'es' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([t?.cleanup(), spanishByDefault?.cleanup()]);
});

const page = async (app: TestApp, headers: Record<string, string> = {}) => (await app.request('/', { headers })).text();
const ask = (message: string, headers: Record<string, string>) =>
  t.request('/chat/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true', ...headers },
    body: new URLSearchParams({ message }),
  });

describe('the language of the page', () => {
  test('English by default, Spanish when the browser asks for it', async () => {
    const english = await page(t);
    expect(english).toContain('<html lang="en">');
    expect(english).toContain('New conversation');
    const spanish = await page(t, { 'accept-language': 'es-AR,es;q=0.9,en;q=0.5' });
    expect(spanish).toContain('<html lang="es">');
    expect(spanish).toContain('Conversación nueva');
    expect(spanish).not.toContain('New conversation');
  });

  test('the picker’s cookie wins over Accept-Language; a cookie naming no language is ignored', async () => {
    const chosen = await page(t, { 'accept-language': 'es', cookie: 'ragchat_lang=en' });
    expect(chosen).toContain('<html lang="en">');
    const unknown = await page(t, { 'accept-language': 'es', cookie: 'ragchat_lang=xx' });
    expect(unknown).toContain('<html lang="es">');
  });

  test('DEFAULT_LANGUAGE answers a browser that names no language ragchat has', async () => {
    expect(await page(spanishByDefault)).toContain('<html lang="es">');
    expect(await page(spanishByDefault, { 'accept-language': 'de-DE' })).toContain('<html lang="es">');
    expect(await page(spanishByDefault, { 'accept-language': 'en-US' })).toContain('<html lang="en">');
  });
});

describe('errors in the reader’s language', () => {
  test('a refused question says why in Spanish on the page, in English in the JSON API', async () => {
    const refused = await ask('   ', { 'accept-language': 'es' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Escribe una pregunta antes de enviar.');
    const api = await t.request('/api/chat', json({ message: '   ' }, { 'accept-language': 'es' }));
    expect(api.status).toBe(400);
    expect(await api.json()).toMatchObject({
      error: { code: 'invalid_input', message: 'Write a question before sending.' },
    });
  });

  test('a page that does not exist, in Spanish', async () => {
    const missing = await t.request('/no-such-page', { headers: { 'accept-language': 'es' } });
    expect(missing.status).toBe(404);
    const html = await missing.text();
    expect(html).toContain('No encontrado');
    expect(html).toContain('No hay nada en esta dirección.');
  });
});

describe('POST /language', () => {
  const choose = (language: string, headers: Record<string, string> = {}) =>
    t.request('/language', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ language }),
    });

  test('remembers the choice for a year and goes back to the page it was made on', async () => {
    const chosen = await choose('es', { referer: 'http://localhost/docs?q=vacation' });
    expect(chosen.status).toBe(303);
    expect(chosen.headers.get('location')).toBe('/docs?q=vacation');
    expect(chosen.headers.get('set-cookie')).toBe('ragchat_lang=es; Path=/; Max-Age=31536000; SameSite=Lax');
  });

  test('never sends the reader to another site', async () => {
    const chosen = await choose('es', { referer: 'https://evil.example/phish' });
    expect(chosen.headers.get('location')).toBe('/');
  });

  test('a language ragchat does not have is a 400 that names the ones it has', async () => {
    const refused = await choose('klingon', { 'accept-language': 'es' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Elige un idioma que ragchat tenga: en, es.');
  });
});
