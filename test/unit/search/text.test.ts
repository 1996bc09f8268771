import { expect, test } from 'bun:test';
import { keywordTerms, sentences, stems } from '../../../src/search/text.ts';

test('sentences split on terminal punctuation but not inside numbers or abbreviations', () => {
  expect(sentences('Version 1.5 is out. It streams, e.g. answers. Done!')).toEqual([
    'Version 1.5 is out.',
    'It streams, e.g. answers.',
    'Done!',
  ]);
  expect(sentences('- first item\n- second item')).toEqual(['- first item', '- second item']);
});

test('stems match word forms; stopwords are dropped', () => {
  expect(stems('Streaming streams')).toEqual(['stream', 'stream']);
  expect(keywordTerms('How do I stop the answer?')).toEqual(['stop', 'answer']);
});
