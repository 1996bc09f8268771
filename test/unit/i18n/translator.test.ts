import { describe, expect, test } from 'bun:test';
import { negotiate } from '../../../src/i18n/locale.ts';
import { inLocale, t } from '../../../src/i18n/request-locale.ts';
import { say, translator } from '../../../src/i18n/translator.ts';

describe('negotiate (Accept-Language)', () => {
  test.each([
    ['es-ES,es;q=0.9,en;q=0.8', 'es'],
    ['es-MX', 'es'],
    ['en-GB,en;q=0.9', 'en'],
    ['de-DE,de;q=0.9,es;q=0.5,en;q=0.4', 'es'],
    ['en;q=0.2, es;q=0.8', 'es'],
    ['es;q=0, en', 'en'],
    ['fr, *;q=0.1', 'en'],
    ['fr, de', 'en'],
    ['', 'en'],
    [';;;,,q=abc', 'en'],
  ] as const)('%p → %p', (header, expected) => {
    expect(negotiate(header, 'en')).toBe(expected);
  });

  test('the configured default answers when nothing matches', () => {
    expect(negotiate('fr-FR', 'es')).toBe('es');
    expect(negotiate(null, 'es')).toBe('es');
  });
});

describe('translator', () => {
  test('fills placeholders, numbers the locale’s way', () => {
    expect(translator('en').t('error.question.tooLong', { length: 4001, max: 4000 })).toBe(
      'The message is 4,001 characters long; the limit is 4,000.',
    );
    expect(translator('es').t('error.question.tooLong', { length: 40001, max: 40000 })).toBe(
      'El mensaje tiene 40.001 caracteres; el límite es 40.000.',
    );
  });

  test('picks the plural form by the count', () => {
    expect(translator('es').t('sources.noneCited', { count: 1 })).toBe('1 pasaje encontrado, ninguno citado');
    expect(translator('es').t('sources.noneCited', { count: 3 })).toBe('3 pasajes encontrados, ninguno citado');
    expect(translator('en').t('error.tooManyStreams', { count: 1 })).toStartWith('An answer is still');
  });

  test('dates are written the locale’s way', () => {
    const iso = '2026-03-05T14:30:00.000Z';
    expect(translator('es').date(iso)).toMatch(/mar/);
    expect(translator('en').date(iso)).toMatch(/Mar/);
  });

  test('say() keeps the English as the error message and the key for the page', () => {
    const said = say('error.upload.empty', { name: 'a.md' });
    expect(said.text).toBe('"a.md" is empty.');
    expect(translator('es').t(said.key, said.params)).toBe('"a.md" está vacío.');
  });

  test('the request’s language reaches code it awaits; outside a request it is English', async () => {
    expect(t('chat.send')).toBe('Send');
    const inside = await inLocale('es', async () => {
      await Bun.sleep(1);
      return t('chat.send');
    });
    expect(inside).toBe('Enviar');
  });
});
