import { stemmer } from 'stemmer';

/**
 * Text helpers shared by the keyword search, the local embedder and the offline answerer, so all
 * three agree on what a "term" is.
 */

// Short English function words: they carry no topic, and dropping them keeps keyword queries sharp.
const STOPWORDS = new Set(
  (
    'a an and are as at be but by can could did do does doing for from had has have how i if in into is it its ' +
    'me my no not of on or our so such than that the their them then there these they this those to too was we ' +
    'were what when where which while who whom why will with would you your about after again all am any ' +
    'because been before being below between both during each few further he her here hers herself him himself ' +
    'his itself just more most myself nor only other ought ours ourselves out over own same she should some ' +
    'theirs themselves through under until up very yours yourself yourselves tell please'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Lower-cased words, in order, stopwords included. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).map((w) => w.replace(/['’]s$/, ''));
}

/** Topic words of a text: no stopwords, no single letters. */
export function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}

/** Porter-stemmed topic words ("streaming" and "streams" both become "stream"). */
export function stems(text: string): string[] {
  return contentWords(text).map((w) => stemmer(w));
}

/** Unique topic words for a keyword query, at most `limit` of them. */
export function keywordTerms(text: string, limit = 32): string[] {
  return [...new Set(contentWords(text))].slice(0, limit);
}

/**
 * Splits prose into sentences. Keeps list items and headings apart (each line that starts a list
 * item is a sentence) and does not split after common abbreviations or inside numbers like 1.5.
 */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)/)) {
    const flat = block.replace(/\s+/g, ' ').trim();
    if (!flat) continue;
    const parts = flat.split(/(?<=[.!?])\s+(?=[A-Z0-9"'(`*[])/);
    let carry = '';
    for (const part of parts) {
      const joined = carry ? `${carry} ${part}` : part;
      if (/\b(?:e\.g|i\.e|etc|vs|Mr|Dr|cf)\.$/i.test(part)) {
        carry = joined;
        continue;
      }
      out.push(joined);
      carry = '';
    }
    if (carry) out.push(carry);
  }
  return out;
}
