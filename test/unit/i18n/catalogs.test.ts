import { describe, expect, test } from 'bun:test';
import { LOCALES } from '../../../src/i18n/locale.ts';
import { CATALOGS, type Catalog, type Message, placeholdersOf } from '../../../src/i18n/translator.ts';

/**
 * Every catalog has exactly the keys of every other, and each key the same `{placeholders}`:
 * a sentence missing in one language would show in another, and a placeholder missing would show
 * a blank or a raw `{name}`. The compiler checks the keys of a literal catalog too; this test also
 * holds for one built at run time, and checks what the compiler cannot (placeholders, plurals).
 */
export function catalogProblems(catalogs: Record<string, Record<string, Message>>): string[] {
  const problems: string[] = [];
  const names = Object.keys(catalogs);
  for (const a of names) {
    for (const b of names) {
      if (a === b) continue;
      const theirs = catalogs[b] as Record<string, Message>;
      for (const [key, message] of Object.entries(catalogs[a] as Record<string, Message>)) {
        if (!(key in theirs)) {
          problems.push(`${b} misses ${key} (${a} has it)`);
          continue;
        }
        const mine = placeholdersOf(message).join(', ');
        const other = placeholdersOf(theirs[key] as Message).join(', ');
        if (mine !== other) problems.push(`${key}: ${a} has {${mine}}, ${b} has {${other}}`);
        if (typeof message !== typeof theirs[key]) problems.push(`${key}: plural forms in ${a} or ${b} only`);
      }
    }
  }
  for (const [name, catalog] of Object.entries(catalogs)) {
    for (const [key, message] of Object.entries(catalog)) {
      const texts = typeof message === 'string' ? [message] : [message.one, message.other];
      if (texts.some((text) => text.trim() === '')) problems.push(`${name} ${key} is empty`);
    }
  }
  return [...new Set(problems)];
}

describe('message catalogs', () => {
  test('every language ragchat offers has a catalog', () => {
    expect(Object.keys(CATALOGS).sort()).toEqual([...LOCALES].sort());
  });

  test('the shipped catalogs have the same keys and the same placeholders', () => {
    expect(catalogProblems(CATALOGS)).toEqual([]);
    expect(Object.keys(CATALOGS.es).length).toBeGreaterThan(200);
  });

  test('a catalog missing a key another has is reported, by key', () => {
    const { 'chat.send': _dropped, ...partial } = CATALOGS.es;
    expect(catalogProblems({ en: CATALOGS.en, es: partial as Catalog })).toEqual(['es misses chat.send (en has it)']);
    // The other way round too: a key only the second catalog has.
    expect(catalogProblems({ es: partial as Catalog, en: CATALOGS.en })).toContain('es misses chat.send (en has it)');
  });

  test('a placeholder set that differs is reported', () => {
    const es = { ...CATALOGS.es, 'mode.online': 'Modelo: {modelo}' };
    expect(catalogProblems({ en: CATALOGS.en, es })).toContain('mode.online: en has {model}, es has {modelo}');
  });

  test('plural forms on one side only are reported', () => {
    const es = { ...CATALOGS.es, 'sources.noneCited': '{count} pasajes encontrados, ninguno citado' };
    expect(catalogProblems({ en: CATALOGS.en, es })).toContain('sources.noneCited: plural forms in en or es only');
  });
});
