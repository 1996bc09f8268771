import { newStemmer } from 'snowball-stemmers';
import { stemmer as porter } from 'stemmer';
import { candidateLanguages, detectLanguage, type LanguageCode } from './language.ts';

/**
 * Text analysis shared by every index (the SQLite keyword index, Qdrant's sparse vectors, the
 * local embedder) and the offline answerer, so all of them agree on what a "term" is:
 * words found by `Intl.Segmenter` where a script has no spaces (Chinese, Japanese, Thai, …),
 * lower-cased, stemmed in their language, and stripped of diacritics where those are accents
 * (Latin, Greek, Cyrillic), not letters (Devanagari, Thai).
 */

/**
 * Names the analysis below. An index records the one its terms were made with and rebuilds them
 * when it changes (SqliteVectorStore.open), so a new analysis never meets old terms.
 */
export const TEXT_ANALYSIS = 'segmented-snowball-1';

/** A text's terms space-joined, for a keyword index that only splits them again (FTS5). */
export const analysedText = (text: string, language?: LanguageCode) => stems(text, language, true).join(' ');

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

/*
 * Snowball stemmers (snowball-stemmers: the official Snowball algorithms compiled to plain JS, no
 * dependencies) by language. English keeps the Porter stemmer it always had, so English indexes
 * and their measured ranking (SciFact, README) stay as they were. Languages without one here
 * (Greek, Hindi, Vietnamese, Chinese, Thai, …) are matched on whole words.
 */
const SNOWBALL: Record<string, string> = {
  ar: 'arabic',
  ca: 'catalan',
  cs: 'czech',
  da: 'danish',
  de: 'german',
  es: 'spanish',
  eu: 'basque',
  fi: 'finnish',
  fr: 'french',
  ga: 'irish',
  hu: 'hungarian',
  hy: 'armenian',
  it: 'italian',
  nb: 'norwegian',
  nl: 'dutch',
  no: 'norwegian',
  pt: 'portuguese',
  ro: 'romanian',
  ru: 'russian',
  sl: 'slovene',
  sv: 'swedish',
  ta: 'tamil',
  tr: 'turkish',
};

type Stem = (word: string) => string;
const stemmers = new Map<string, Stem>([['en', porter]]);
function stemmerFor(language: LanguageCode): Stem | null {
  const known = stemmers.get(language);
  if (known) return known;
  const algorithm = SNOWBALL[language];
  if (!algorithm) return null;
  const snowball = newStemmer(algorithm);
  const stem: Stem = (w) => snowball.stem(w);
  stemmers.set(language, stem);
  return stem;
}

const CYRILLIC_LANGUAGES = new Set(['ru', 'uk', 'bg', 'sr', 'mk', 'be', 'kk', 'ky', 'mn', 'tg']);
const ARABIC_LANGUAGES = new Set(['ar', 'fa', 'ur', 'ps']);
const NON_LATIN_LANGUAGES = new Set([
  ...CYRILLIC_LANGUAGES,
  ...ARABIC_LANGUAGES,
  ...['zh', 'ja', 'ko', 'th', 'lo', 'km', 'my', 'el', 'hi', 'bn', 'ta', 'he', 'hy', 'ka'],
]);

/**
 * The language a word is stemmed in: the text's, when the word is in that language's script;
 * otherwise the main language of the word's script ("NFL" in a Chinese passage is English).
 */
function wordLanguage(word: string, language: LanguageCode): LanguageCode | null {
  const c = word.codePointAt(0) ?? 0;
  if (c < 0x250) return !language || NON_LATIN_LANGUAGES.has(language) ? 'en' : language;
  if (c >= 0x400 && c < 0x530) return CYRILLIC_LANGUAGES.has(language) ? language : 'ru';
  if (c >= 0x600 && c < 0x700) return ARABIC_LANGUAGES.has(language) ? language : 'ar';
  return null;
}

// Scripts written without spaces between words: only these need the (slower) segmenter.
const UNSPACED =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}]/u;
const GREEK = /^[\p{Script=Greek}]/u;
const DEVANAGARI = /^\p{Script=Devanagari}/u;
// The nukta marks borrowed sounds (ज़, फ़) and is written or left out at will.
const NUKTA = /\u093C/g;
const HAN = /^\p{Script=Han}+$/u;
// Marks are part of words: Devanagari and Thai vowel signs are combining marks.
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}]+)?/gu;
// Accents to drop after stemming; Arabic short vowels and the tatweel are dropped before it.
const COMBINING = /\p{M}/gu;
const ARABIC_DIACRITICS = /[\u064B-\u065F\u0670\u0640]/g;

let segmenter: Intl.Segmenter | undefined;

/**
 * Lower-cased words, in order, stopwords included. Text in a script without spaces is cut into
 * words by `Intl.Segmenter`; a run of Chinese characters also yields its character pairs, because
 * the segmenter's dictionary splits names it does not know into single characters, and pairs
 * (as Lucene's CJK analyser indexes them) still match across its choices.
 */
export function words(text: string, language: LanguageCode = '', pairs = true): string[] {
  const lower = language === 'tr' || language === 'az' ? text.toLocaleLowerCase(language) : text.toLowerCase();
  if (!UNSPACED.test(lower)) {
    const found = lower.match(WORD) ?? [];
    // English "’s" is a possessive; elsewhere an apostrophe joins an elision or a suffix to a
    // word ("l’homme", "İstanbul’da"), and the word is what a search means.
    return language === 'en' || language === ''
      ? found.map((w) => w.replace(/['’]s$/, ''))
      : found.flatMap((w) => w.split(/['’]/));
  }
  segmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
  const out: string[] = [];
  let han = '';
  const flushHan = () => {
    if (pairs) for (let i = 0; i + 1 < han.length; i++) out.push(han.slice(i, i + 2));
    han = '';
  };
  for (const s of segmenter.segment(lower.normalize('NFKC'))) {
    if (!s.isWordLike) {
      flushHan();
      continue;
    }
    out.push(s.segment);
    if (HAN.test(s.segment)) han += s.segment;
    else flushHan();
  }
  flushHan();
  return out;
}

/** Topic words of a text: no English stopwords, no single Latin letters. */
export function contentWords(text: string, language: LanguageCode = ''): string[] {
  return words(text, language).filter((w) => !(w.length === 1 && w < '\u0250') && !STOPWORDS.has(w));
}

/** A word's index term in a text of `language`: stemmed in its language, accents folded. */
function term(word: string, language: LanguageCode): string {
  const own = wordLanguage(word, language);
  if (own === null) {
    if (GREEK.test(word)) return fold(word.replace(/ς/g, 'σ'));
    if (DEVANAGARI.test(word)) return hindiStem(word.normalize('NFD').replace(NUKTA, ''));
    return word;
  }
  const plain = own === 'ar' ? word.replace(ARABIC_DIACRITICS, '') : word;
  const stemmed = stemmerFor(own)?.(plain) ?? plain;
  return fold(stemmed);
}

/*
 * Hindi inflectional endings, longest first (Ramanathan & Rao's light stemmer, 2003): an ending
 * is cut when a stem of at least two letters is left.
 */
const HINDI_SUFFIXES = [
  'ाएंगी',
  'ाएंगे',
  'ाऊंगी',
  'ाऊंगा',
  'इयाँ',
  'इयों',
  'इयां',
  'ाइयां',
  'ाइयों',
  'ाएगी',
  'ाएगा',
  'ाओगी',
  'ाओगे',
  'ेंगी',
  'ेंगे',
  'ूंगी',
  'ूंगा',
  'ातीं',
  'ाना',
  'ाने',
  'ाती',
  'ाता',
  'ाते',
  'ियाँ',
  'ियों',
  'ियां',
  'ाएं',
  'ाओं',
  'ुओं',
  'ुएं',
  'ाकर',
  'ेगी',
  'ेगा',
  'ोगी',
  'ोगे',
  'ाई',
  'ाए',
  'ीं',
  'ें',
  'ों',
  'ां',
  'ाँ',
  'िय',
  'ता',
  'ते',
  'ती',
  'ना',
  'ने',
  'नी',
  'कर',
  'ा',
  'ि',
  'ी',
  'ु',
  'ू',
  'े',
  'ो',
  'ं',
].sort((a, b) => b.length - a.length);

function hindiStem(word: string): string {
  for (const suffix of HINDI_SUFFIXES) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 2) return word.slice(0, -suffix.length);
  }
  return word;
}

// An ASCII word has nothing to fold: the normalising round trip was a quarter of ingestion time
// (SciFact, 1,000 abstracts: 4.9 s, 3.7 s without it for ASCII words).
const ASCII = /^[ -~]*$/;
const fold = (w: string) => (ASCII.test(w) ? w : w.normalize('NFD').replace(COMBINING, '').normalize('NFC') || w);

/**
 * The index terms of a text, in order ("streaming" and "streams" both become "stream"; "acciones"
 * and "acción" both "accion"). `language` is the text's when known (a chunk's, tagged at
 * ingestion); otherwise it is detected.
 */
export function stems(text: string, language: LanguageCode = detectLanguage(text), withStopwords = false): string[] {
  // An index keeps function words (a passage's length counts them, as BM25's length
  // normalisation expects: SciFact nDCG@10 0.693 without them, 0.695 with); queries drop them.
  const found = withStopwords ? words(text, language) : contentWords(text, language);
  if (language === 'vi') {
    // A Vietnamese word is most often two syllables, each written apart ("phát hiện"): adjacent
    // pairs stand for the words (XQuAD nDCG@10 0.942 → 0.959).
    const t = found.map((w) => term(w, language));
    return [...t, ...t.slice(1).map((w, i) => `${t[i]}${PAIR_MARK}${w}`)];
  }
  if (!PREFIXED.has(language)) return found.map((w) => term(w, language));
  return found.flatMap((w) => {
    const t = term(w, language);
    const f = fold(w);
    const n = PREFIX_CHARS[language] ?? 5;
    return f.length > n && !UNSPACED.test(f) ? [t, `${f.slice(0, n)}${PREFIX_MARK}`] : [t];
  });
}

/*
 * Outside English each long word also yields its first five letters, as a term of its own (marked
 * with a private-use character, which the FTS5 tokenizer keeps as a letter): a stemmer misses
 * irregular forms and compounds ("gründeten"/"gegründet", "Schweißverfahren"/"Schweißen"), and
 * Greek and Hindi have none here. Five-letter prefixes (four in Greek, Hindi and
 * Turkish) lifted XQuAD nDCG@10 in German from 0.942 to 0.951 (4: 0.949, 6: 0.948), Greek from
 * 0.902 to 0.949 (5: 0.947, 6: 0.939), Turkish from 0.939 to 0.953 (5: 0.948, 6: 0.942). English keeps
 * Porter alone, as SciFact was measured with it.
 */
const PREFIX_CHARS: Record<string, number> = { el: 4, hi: 4, tr: 4 };
// Private-use characters: the FTS5 tokenizer keeps them inside a term (its categories include Co).
const PAIR_MARK = '\uE001';
// Not English (see above), Arabic (a word's first letters are its article and prefixes: XQuAD
// 0.946 → 0.940 with them) or Vietnamese (one syllable per word already: 0.943 → 0.941).
const PREFIXED = new Set([
  'de',
  'el',
  'hi',
  'ru',
  'tr',
  'es',
  'ro',
  'fr',
  'it',
  'pt',
  'nl',
  'sv',
  'da',
  'no',
  'nb',
  'fi',
  'hu',
  'cs',
  'pl',
  'uk',
  'bg',
]);
const PREFIX_MARK = '\uE000';

/*
 * Function words per language (stopwords-iso), for the offline answerer only: it must tell the
 * words a question is about ("alojamiento", "住宿") from those that frame it ("¿cuánto puede…?",
 * "是多少"). Retrieval keeps them: BM25's IDF already gives them next to no weight.
 */
let functionWords: Record<string, string[]> | undefined;
const functionWordSets = new Map<string, Set<string>>();
function isFunctionWord(word: string, language: LanguageCode): boolean {
  if (STOPWORDS.has(word)) return true;
  // English keeps its own short list, with which the answerer's thresholds were measured.
  if (language === 'en' || language === '') return false;
  let set = functionWordSets.get(language);
  if (!set) {
    functionWords ??= require('stopwords-iso') as Record<string, string[]>;
    set = new Set(functionWords[language] ?? []);
    functionWordSets.set(language, set);
  }
  return set.has(word);
}

/**
 * The terms a text is about, for matching a question to a sentence: whole words (no character
 * pairs, no prefixes), function words of its language left out, each stemmed as in `stems`.
 */
export function topicTerms(text: string, language: LanguageCode = detectLanguage(text)): string[] {
  return words(text, language, false)
    .filter((w) => !(w.length === 1 && w < '\u0250') && !isFunctionWord(w, language))
    .map((w) => term(w, language));
}

/**
 * The unique terms of a question, at most `limit`: analysed in each of its likeliest languages
 * when the detector is unsure, so a short question still meets the terms of its passage.
 */
export function queryTerms(text: string, limit = 32): string[] {
  const languages = candidateLanguages(text);
  const all = languages.length > 0 ? languages.flatMap((l) => stems(text, l)) : stems(text, '');
  return [...new Set(all)].slice(0, limit);
}

/** Unique topic words for a keyword query, at most `limit` of them. */
export function keywordTerms(text: string, limit = 32): string[] {
  return [...new Set(contentWords(text))].slice(0, limit);
}

const NON_LATIN = /[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}]/u;
let sentenceSegmenter: Intl.Segmenter | undefined;

/**
 * Splits prose into sentences. Keeps list items and headings apart (each line that starts a list
 * item is a sentence) and does not split after common abbreviations or inside numbers like 1.5.
 */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)/)) {
    const flat = block.replace(/\s+/g, ' ').trim();
    if (!flat) continue;
    // Outside Latin script, sentences may end without a space or a capital after them ("。",
    // "？", "।", "؟"): Unicode's sentence rules (UAX #29, Intl.Segmenter) know those ends.
    if (NON_LATIN.test(flat)) {
      sentenceSegmenter ??= new Intl.Segmenter('und', { granularity: 'sentence' });
      for (const s of sentenceSegmenter.segment(flat)) if (s.segment.trim()) out.push(s.segment.trim());
      continue;
    }
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
