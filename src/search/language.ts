import { eld } from 'eld/small';

/**
 * Which language a text is in, as an ISO 639-1 code ('en', 'es', 'zh', …) or '' when it cannot
 * be told. Chunks are tagged at ingestion (their terms are analysed in their language); questions
 * at query time.
 *
 * A script used by one language of those we serve decides alone (Han → zh, Thai → th, Greek → el,
 * Devanagari → hi, …): it is exact, and short questions are where n-gram detectors err (eld scored
 * 0.908 on XQuAD's Hindi questions, script 1.000). Latin, Cyrillic and Arabic script go to eld
 * (Nito-ELD, pure JS, n-gram tables shipped in the package): on XQuAD's 612 questions a language
 * it put the right language first in 99.2–100% of them and among its first two in all but Chinese
 * (99.2%), against 95.9–100% for tinyld and 72.7–99.3% for franc-min; on whole paragraphs 100%.
 */
export type LanguageCode = string;

/**
 * Scripts that name their language outright, as global expressions for counting with `match`
 * (which starts from the beginning whatever `lastIndex` is). Kana before Han: Japanese mixes both.
 */
const SCRIPT_LANGUAGES: [RegExp, LanguageCode][] = [
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/gu, 'ja'],
  [/\p{Script=Hangul}/gu, 'ko'],
  [/\p{Script=Han}/gu, 'zh'],
  [/\p{Script=Thai}/gu, 'th'],
  [/\p{Script=Lao}/gu, 'lo'],
  [/\p{Script=Khmer}/gu, 'km'],
  [/\p{Script=Myanmar}/gu, 'my'],
  [/\p{Script=Greek}/gu, 'el'],
  [/\p{Script=Devanagari}/gu, 'hi'],
  [/\p{Script=Bengali}/gu, 'bn'],
  [/\p{Script=Tamil}/gu, 'ta'],
  [/\p{Script=Hebrew}/gu, 'he'],
  [/\p{Script=Armenian}/gu, 'hy'],
  [/\p{Script=Georgian}/gu, 'ka'],
];

// Letters of a script counted to find a text's main one: a Chinese text naming "NFL" is Chinese.
const LETTER = /\p{L}/gu;

/*
 * eld's n-gram tables (1.6 MB of JS, about 0.25 s) load with this module: the package exports
 * them to \`import\` only, so they cannot be put off to a synchronous first use as tokens.ts does.
 */

/** The script-decided language of a text's main script, or null when it is Latin, Cyrillic, Arabic… */
function scriptLanguage(text: string): LanguageCode | null {
  const letters = text.match(LETTER);
  if (!letters) return null;
  const sample = letters.slice(0, 400).join('');
  let best: LanguageCode | null = null;
  let bestCount = 0;
  for (const [script, language] of SCRIPT_LANGUAGES) {
    const count = sample.match(script)?.length ?? 0;
    if (count > bestCount) {
      best = language;
      bestCount = count;
    }
  }
  // Japanese text is mostly Han with some kana: any kana at all makes it Japanese.
  if (best === 'zh' && /[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(sample)) best = 'ja';
  return best && bestCount >= sample.length * 0.3 ? best : null;
}

/** The language of a text (a chunk or a question), or '' when it has no letters to go by. */
export function detectLanguage(text: string): LanguageCode {
  return candidateLanguages(text, 1)[0] ?? '';
}

/**
 * The likeliest languages of a text, best first, at most `max`. A question is analysed in its two
 * likeliest when the detector is unsure, so "¿Qué es?" read as Portuguese still meets the Spanish
 * stems of the passage that answers it.
 */
export function candidateLanguages(text: string, max = 2): LanguageCode[] {
  const byScript = scriptLanguage(text);
  if (byScript) return [byScript];
  if (!/\p{L}/u.test(text)) return [];
  const result = eld.detect(text.slice(0, 2000));
  const scores = Object.entries(result.getScores()).sort((a, b) => b[1] - a[1]);
  const first = result.language || scores[0]?.[0];
  if (!first) return [];
  if (max === 1 || result.isReliable()) return [first];
  return [first, ...scores.map(([l]) => l).filter((l) => l !== first)].slice(0, max);
}
