import { sentences, stems } from '../rag/text.ts';
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

  const candidates: Candidate[] = [];
  passages.forEach((p, rank) => {
    sentences(p.text).forEach((raw, i) => {
      const text = cleanSentence(raw);
      const terms = stems(text);
      if (terms.length < 3) return;
      const hits = new Set(terms.filter((t) => wanted.has(t))).size;
      if (hits === 0) return;
      // Coverage of the question matters most; earlier passages (better retrieved) break ties.
      const score = hits / wanted.size + 0.1 / (rank + 1) - 0.002 * Math.max(0, terms.length - 30);
      candidates.push({ text, n: p.n, score, order: rank * 1000 + i });
    });
  });
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

/** Drops list markers and Markdown emphasis so a quoted sentence reads as prose. */
function cleanSentence(s: string): string {
  return s
    .replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
