import { sentences, stems } from '../search/text.ts';
import { isWhitespace } from '../strings.ts';
import type { LlmClient, LlmRequest, PromptPassage } from './llm-client.ts';

export interface OfflineAnswererOptions {
  /** Pause between streamed words, so the page behaves as it will with a real model. @default 18 */
  wordDelayMs?: number;
  /** Sentences quoted at most. @default 4 */
  maxSentences?: number;
}

export const NO_ANSWER_OFFLINE =
  'I could not find anything about that in the documents. Try other words, or ingest the documents that cover it.';

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

interface Candidate {
  text: string;
  n: number;
  score: number;
  order: number;
}

export function composeAnswer(question: string, passages: PromptPassage[], maxSentences: number): string {
  const wanted = new Set(stems(question));
  if (wanted.size === 0 || passages.length === 0) return NO_ANSWER_OFFLINE;

  // Every sentence of every passage, with its stems, so that question words can be weighted by
  // how rare they are here: "documents" matches everywhere in a document store, "ingest" does not.
  const all = passages.flatMap((p, rank) =>
    sentences(inlineCodeBlocks(p.text)).map((raw, i) => {
      const text = cleanSentence(raw);
      const heading = new Set(stems(`${p.title} ${p.location}`));
      return {
        text,
        n: p.n,
        rank,
        heading,
        order: rank * 1000 + i,
        terms: new Set(stems(text)),
        length: stems(text).length,
      };
    }),
  );
  const weight = new Map<string, number>();
  for (const w of wanted) {
    const df = all.filter((s) => s.terms.has(w)).length;
    weight.set(w, Math.log(1 + all.length / (1 + df)));
  }
  const total = [...weight.values()].reduce((a, b) => a + b, 0);

  const candidates: Candidate[] = [];
  for (const s of all) {
    if (s.length < 3) continue;
    const matched = [...wanted].filter((w) => s.terms.has(w));
    if (matched.length === 0 && ![...wanted].some((w) => s.heading.has(w))) continue;
    const coverage = matched.reduce((sum, w) => sum + (weight.get(w) as number), 0) / total;
    // A section whose heading names the question's topic ("What the offline mode does") holds
    // its answer even in sentences that do not repeat the topic's words.
    const headingCoverage =
      [...wanted].filter((w) => s.heading.has(w)).reduce((sum, w) => sum + (weight.get(w) as number), 0) / total;
    // Coverage of the (weighted) question matters most; better-retrieved passages break ties;
    // very long sentences are quoted less readily.
    const score = coverage + 0.4 * headingCoverage + 0.1 / (s.rank + 1) - 0.002 * Math.max(0, s.length - 30);
    candidates.push({ text: s.text, n: s.n, score, order: s.order });
  }
  if (candidates.length === 0) return NO_ANSWER_OFFLINE;

  const best = candidates.sort((a, b) => b.score - a.score);
  const threshold = (best[0] as Candidate).score * 0.5;
  const picked: Candidate[] = [];
  const seen = new Set<string>();
  for (const c of best) {
    if (picked.length >= maxSentences || c.score < threshold) break;
    const key = c.text.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(c);
  }
  // Read in document order within the answer, so quoted steps keep their sequence.
  picked.sort((a, b) => a.order - b.order);
  const lines = picked.map((c) => `${c.text.replace(/[.:;,]?$/, (m) => m || '.')} [${c.n}]`);
  return `From the documents:\n\n${lines.map((l) => `- ${l}`).join('\n')}`;
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
