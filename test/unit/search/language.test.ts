import { expect, test } from 'bun:test';
import { candidateLanguages, detectLanguage } from '../../../src/search/language.ts';
import { queryTerms, sentences, stems } from '../../../src/search/text.ts';
import passages from '../../fixtures/multilingual/passages.json';
import questions from '../../fixtures/multilingual/questions.json';

test('each passage and question of the fixture is detected in its language', () => {
  for (const p of passages) expect(`${p.id}:${detectLanguage(p.text)}`).toBe(`${p.id}:${p.language}`);
  for (const q of questions) expect(`${q.question}:${detectLanguage(q.question)}`).toBe(`${q.question}:${q.language}`);
  // A script used by one language decides even a two-word question, and text with no letters has none.
  expect(detectLanguage('Πόσοι πόντοι;')).toBe('el');
  expect(detectLanguage('कितने अंक?')).toBe('hi');
  expect(detectLanguage('1234 — 56')).toBe('');
  expect(candidateLanguages('出差住宿标准是多少？')).toEqual(['zh']);
});

test('Spanish stems relate inflections and accents, as English ones always did', () => {
  expect(stems('acciones', 'es')).toEqual(stems('acción', 'es').concat([]).length ? stems('acciones', 'es') : []);
  const es = (w: string) => stems(w, 'es')[0];
  expect(es('acciones')).toBe(es('acción') as string);
  expect(es('reembolsan')).toBe(es('reembolso') as string);
  expect(es('viajes')).toBe(es('viaje') as string);
  expect(stems('Streaming streams', 'en')).toEqual(['stream', 'stream']);
  // Russian and German through their Snowball stemmers; German ß and umlauts fold.
  expect(stems('книгами', 'ru')[0]).toBe(stems('книга', 'ru')[0] as string);
  expect(stems('Häuser', 'de')[0]).toBe(stems('Haus', 'de')[0] as string);
});

test('diacritics fold in Latin and Greek script, but Hindi and Thai vowel signs stay', () => {
  expect(stems('Café crème', 'fr')).toEqual(stems('cafe creme', 'fr'));
  expect(stems('έχασαν', 'el')).toEqual(stems('εχασαν', 'el'));
  // Vowel signs are combining marks: they are part of the word, not an accent on it.
  expect(stems('किताबें', 'hi')[0]).toStartWith('किताब');
  expect(stems('ภาษาไทย', 'th')).toContain('ภาษา');
});

test('Thai and Chinese are cut into words; Chinese runs also yield character pairs', () => {
  expect(stems('ภาษาไทยเป็นภาษาที่สวยงาม', 'th')).toEqual(['ภาษา', 'ไทย', 'เป็น', 'ภาษา', 'ที่', 'สวยงาม']);
  const zh = stems('出差住宿标准', 'zh');
  expect(zh).toContain('住宿');
  expect(zh).toContain('宿标');
  // A Latin word inside Chinese text is stemmed as English.
  expect(stems('黑豹队 Panthers streaming', 'zh')).toContain('stream');
  expect(queryTerms('出差住宿标准是多少？')).toContain('住宿');
});

test('sentences end at 。！？ and at a Hindi danda, with no space after them', () => {
  expect(sentences('出差住宿标准为每晚不超过500元。报销须在出差结束后30天内完成。如有疑问，请联系财务部！')).toEqual([
    '出差住宿标准为每晚不超过500元。',
    '报销须在出差结束后30天内完成。',
    '如有疑问，请联系财务部！',
  ]);
  expect(sentences('यह पहला वाक्य है। यह दूसरा है।')).toEqual(['यह पहला वाक्य है।', 'यह दूसरा है।']);
  expect(sentences('See e.g. the guide. Then run it.')).toEqual(['See e.g. the guide.', 'Then run it.']);
});
