import { detectLanguage } from '../search/language.ts';
import { sentences, stems, topicTerms } from '../search/text.ts';
import { isWhitespace } from '../strings.ts';
import { answerPhrases } from './answer-phrases.ts';
import type { LlmClient, LlmRequest, PromptPassage } from './llm-client.ts';

export interface OfflineAnswererOptions {
  /** Pause between streamed words, so the page behaves as it will with a real model. @default 18 */
  wordDelayMs?: number;
  /** Sentences quoted at most. @default 4 */
  maxSentences?: number;
}

/** The plain abstention in English: what the answerer says when the passages do not answer. */
export const NO_ANSWER_OFFLINE = answerPhrases('en').noAnswer;

/**
 * Share of the question's (weighted) informative words a quoted sentence must cover, with the
 * headings above it, before the answerer quotes anything. Below it the passages retrieved are only
 * near the question's topic ("Does ragchat support SAML single sign-on?" finds passages about
 * ragchat), and quoting them would read as an answer. Measured on the labelled sample set
 * (`bun run eval:answers`, README "Honest answers").
 */
export const MIN_SUPPORT = 0.5;

/** A sentence is quoted when it comes this close to the best one's support; below, it is noise. */
const KEEP_RELATIVE = 0.6;

/** A word found only in the headings above a sentence counts this much of one found in it. */
const HEADING_CREDIT = 0.7;

/*
 * Words that frame a question rather than name its topic ("How do I *use* …", "What *happens* …",
 * "*How many* …"): a passage lacking them still answers. The keyword search keeps them (it only
 * ranks); they are left out of what the answer must cover.
 */
const QUESTION_FRAME = new Set(
  stems(
    'use used using work works happen happens mean means need get make want way thing option feature possible able know explain many much',
    'en',
  ),
);

/**
 * The offline answerer: no model, no network. It picks the sentences of the retrieved passages
 * that share the most (stemmed) words with the question and quotes them, each with the `[n]` of
 * its passage. It cannot reason, summarise or combine facts; it shows where the answer is.
 */
export class OfflineLlmClient implements LlmClient {
  readonly model = 'offline-extractive';
  readonly offline = true;
  private readonly wordDelayMs: number;
  private readonly maxSentences: number;

  constructor(options: OfflineAnswererOptions = {}) {
    this.wordDelayMs = options.wordDelayMs ?? 18;
    this.maxSentences = options.maxSentences ?? 4;
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    const answer = composeAnswer(request.question, request.passages, this.maxSentences);
    for (const word of answer.match(/\S+\s*|\s+/g) ?? []) {
      signal.throwIfAborted();
      if (this.wordDelayMs > 0) await Bun.sleep(this.wordDelayMs);
      signal.throwIfAborted();
      yield word;
    }
  }

  async ping(): Promise<void> {}
}

interface Unit {
  text: string;
  n: number;
  rank: number;
  order: number;
  terms: Set<string>;
  heading: Set<string>;
  length: number;
}

/**
 * Quotes the sentences that answer the question, best first, each with the `[n]` of its passage;
 * or says plainly that the documents do not say, when no sentence covers enough of the question's
 * informative words (`MIN_SUPPORT`).
 */
export function composeAnswer(question: string, passages: PromptPassage[], maxSentences: number): string {
  // The answer speaks the question's language: its frame, its abstention, its full stop.
  const language = detectLanguage(question);
  const phrases = answerPhrases(language);
  const wanted = [...new Set(topicTerms(question, language))].filter((w) => !QUESTION_FRAME.has(w));
  if (wanted.length === 0 || passages.length === 0) return phrases.noAnswer;
  const units = passages.flatMap(quotableUnits);
  const weight = informativeWeights(wanted, units);
  const total = wanted.reduce((sum, w) => sum + (weight.get(w) as number), 0);

  const scored = units.flatMap((u) => {
    if (u.length < 3 || !wanted.some((w) => u.terms.has(w) || u.heading.has(w))) return [];
    const share = (credit: (w: string) => number) =>
      wanted.reduce((sum, w) => sum + (weight.get(w) as number) * credit(w), 0) / total;
    const support = share((w) => (u.terms.has(w) ? 1 : u.heading.has(w) ? HEADING_CREDIT : 0));
    // A section whose heading names the question ("How retrieval works offline") answers it even
    // in sentences that do not repeat its words, and before a sentence elsewhere that merely
    // shares them. Better-retrieved passages and shorter sentences only break near-ties.
    const inHeading = share((w) => (u.heading.has(w) ? 1 : 0));
    const score = support + 0.3 * inHeading + 0.02 / (u.rank + 1) - 0.001 * Math.max(0, u.length - 30);
    return [{ unit: u, support, score }];
  });
  let best: (typeof scored)[number] | undefined;
  for (const c of scored) if (!best || c.score > best.score) best = c;
  if (!best || best.support < MIN_SUPPORT) return phrases.noAnswer;

  const picked: Unit[] = [];
  const seen = new Set<string>();
  for (const c of scored.sort((a, b) => b.score - a.score || a.unit.order - b.unit.order)) {
    if (picked.length >= maxSentences || c.support < Math.max(MIN_SUPPORT, best.support * KEEP_RELATIVE)) break;
    const key = c.unit.text.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(c.unit);
  }
  // Best first: the answer's first line, and its first citation, is the sentence that answers.
  const lines = picked.map((c) => `${withFullStop(quoted(c.text), phrases.fullStop)} [${c.n}]`);
  return `${phrases.frame}\n\n${lines.map((l) => `- ${l}`).join('\n')}`;
}

/**
 * A quoted sentence ends as it ended in the document ("。", "？", "।", "!" or a colon introducing
 * a step); only one with no final punctuation gets the language's full stop, so Chinese never
 * reads "…内完成。.".
 */
function withFullStop(text: string, fullStop: string): string {
  return /[\p{Sentence_Terminal}:;,、]["'”’»)）」』]*$/u.test(text) ? text : `${text}${fullStop}`;
}

/**
 * A bracketed number inside a quoted sentence ("like [2]") is the document's text, not a citation:
 * escaped, Markdown still shows the brackets, and it is never read as citing passage 2.
 */
function quoted(text: string): string {
  return text.replace(/\[(\d{1,3})\]/g, '\\[$1\\]');
}

/**
 * A passage's quotable units: its sentences, except that a list item stays whole ("`PORT` is the
 * port the server listens on. The default is 3000." answers "the default port" only together).
 */
function quotableUnits(p: PromptPassage, rank: number): Unit[] {
  // One language for the whole passage: a short sentence alone is easily taken for another.
  const language = detectLanguage(p.text);
  const heading = new Set(topicTerms(`${p.title} ${p.location}`, language));
  const blocks = inlineCodeBlocks(p.text).split(/\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)/);
  const raw = blocks.flatMap((b) => (/^\s*(?:[-*+]|\d+[.)])\s/.test(b) && b.length <= 400 ? [b] : sentences(b)));
  return raw.flatMap((r, i) => {
    const text = cleanSentence(r);
    if (!text) return [];
    const terms = topicTerms(text, language);
    return [{ text, n: p.n, rank, order: rank * 1000 + i, terms: new Set(terms), heading, length: terms.length }];
  });
}

/*
 * How much each question word counts: by how rare it is among the retrieved sentences (inverse
 * document frequency over them). "ragchat" is in most of them and says little; a word none of
 * them has ("SAML") weighs most, so its absence keeps a passage from answering.
 */
function informativeWeights(wanted: string[], units: Unit[]): Map<string, number> {
  return new Map(
    wanted.map((w) => {
      const df = units.filter((u) => u.terms.has(w) || u.heading.has(w)).length;
      return [w, Math.log(1 + units.length / (1 + df))];
    }),
  );
}

const FENCES = ['```', '~~~'] as const;

/**
 * A short fenced code block becomes inline code, joined to the sentence that introduces it
 * ("run:" + the command), so a quoted step keeps its command; long blocks are left out.
 * It reads blocks as the global expression `(:?)\s*\n?\s*(```|~~~)[^\n]*\n([\s\S]*?)\n\s*\2[^\n]*` did,
 * in one pass: that expression backtracks to the third power on many unclosed fences.
 */
export function inlineCodeBlocks(text: string): string {
  let out = '';
  let done = 0;
  let from = 0;
  // Once a fence finds no closing line, no later fence of that kind can.
  const unclosed = new Set<string>();
  for (;;) {
    const open = nextFence(text, from, unclosed);
    if (!open) break;
    const block = closeBlock(text, open.at, open.fence);
    if (!block) {
      unclosed.add(open.fence);
      from = open.at + 1;
      continue;
    }
    let start = open.at;
    while (start > done && isWhitespace(text[start - 1])) start--;
    const colon = start > done && text[start - 1] === ':' ? ':' : '';
    if (colon) start--;
    out += text.slice(done, start) + inlined(colon, block.code);
    done = block.end;
    from = block.end;
  }
  return out + text.slice(done);
}

function nextFence(text: string, from: number, unclosed: Set<string>): { at: number; fence: string } | null {
  let best: { at: number; fence: string } | null = null;
  for (const fence of FENCES) {
    if (unclosed.has(fence)) continue;
    const at = text.indexOf(fence, from);
    if (at !== -1 && (best === null || at < best.at)) best = { at, fence };
  }
  return best;
}

/** The code of the block opened at `at` and where its closing line ends, or null when it has none. */
function closeBlock(text: string, at: number, fence: string): { code: string; end: number } | null {
  const lineEnd = text.indexOf('\n', at);
  if (lineEnd === -1) return null;
  const codeStart = lineEnd + 1;
  let newline = text.indexOf('\n', codeStart);
  while (newline !== -1) {
    let next = newline + 1;
    while (next < text.length && isWhitespace(text[next])) next++;
    if (text.startsWith(fence, next)) {
      const closeEnd = text.indexOf('\n', next + fence.length);
      return { code: text.slice(codeStart, newline), end: closeEnd === -1 ? text.length : closeEnd };
    }
    // Every line end up to `next` leads to the same non-space character: skip them all.
    newline = text.indexOf('\n', Math.max(newline + 1, next));
  }
  return null;
}

function inlined(colon: string, code: string): string {
  const lines = code.trim().split('\n');
  if (lines.length > 3) return colon ? `${colon} (see the code in the source)\n\n` : '\n\n';
  return `${colon} ${lines.map((l) => `\`${l.trim()}\``).join(', ')}.\n\n`;
}

/** Drops list markers and Markdown emphasis so a quoted sentence reads as prose. */
function cleanSentence(s: string): string {
  return s
    .replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
