import type { ChatTurn, ScoredChunk, Source } from '../domain.ts';
import type { AnswerTimings } from '../observability/answer-timings.ts';
import { Telemetry } from '../observability/telemetry.ts';
import type { LlmClient } from '../providers/llm-client.ts';
import { headingAnchor } from '../strings.ts';
import { buildPrompt, type PromptBudget } from './prompt.ts';
import type { QueryRewriter } from './query-rewriter.ts';
import type { Retriever } from './retriever.ts';

export interface RagAnswer {
  /** The model that writes the answer. */
  model: string;
  /** What retrieval searched for: the question, or its standalone rewrite for a follow-up. */
  searchQuery: string;
  /** Size of the prompt sent, in tokens (ragchat's count). */
  promptTokens: number;
  /** Answer fragments, as the model sends them. */
  tokens: AsyncIterable<string>;
  /** The passages given to the model, as sources; cited ones first once `text` is final. */
  sourcesFor(text: string): Source[];
}

export interface OrchestratorOptions extends PromptBudget {
  topK: number;
}

const SNIPPET_CHARS = 280;

/** Question in, streamed answer and its sources out: retrieve → prompt → stream. */
export class RagOrchestrator {
  constructor(
    readonly retriever: Retriever,
    private readonly llm: LlmClient,
    private readonly rewriter: QueryRewriter,
    private readonly options: OrchestratorOptions,
    private readonly telemetry: Telemetry = new Telemetry(),
  ) {}

  get offline(): boolean {
    return this.llm.offline;
  }

  get model(): string {
    return this.llm.model;
  }

  /**
   * `collections` limits retrieval to what the asker may read (absent: every collection); it is
   * enforced by the store's query, so nothing else reaches the prompt, the sources or a citation.
   * `timings`, when given, gets the end of each phase (rewrite, embed, search, prompt).
   */
  async answer(
    question: string,
    history: ChatTurn[],
    signal: AbortSignal,
    collections?: readonly string[],
    timings?: AnswerTimings,
  ): Promise<RagAnswer> {
    // Retrieval searches with a standalone question; the model still sees the question as asked,
    // after the conversation so far.
    const searchQuery = await this.telemetry.span(
      'rag.rewrite_query',
      { 'ragchat.history_turns': history.length },
      async (span) => {
        const rewritten = await this.rewriter.rewrite(question, history, signal);
        span.setAttribute('ragchat.rewritten', rewritten !== question);
        if (this.telemetry.recordContent) span.setAttribute('ragchat.search_query', rewritten);
        return rewritten;
      },
    );
    timings?.mark('rewrite');
    const retrieved = await this.retriever.retrieve(searchQuery, this.options.topK, signal, collections, timings);
    const prompt = buildPrompt(question, retrieved, history, this.options);
    timings?.mark('prompt');
    const tokens = this.llm.stream(
      {
        messages: prompt.messages,
        passages: prompt.passages,
        question,
        maxTokens: this.options.maxAnswerTokens,
      },
      signal,
    );
    return {
      model: this.llm.model,
      searchQuery,
      promptTokens: prompt.tokens,
      tokens,
      sourcesFor: (text) => toSources(prompt.chunks, citedNumbers(text, prompt.chunks.length)),
    };
  }
}

/** The `[n]` markers in an answer that name a passage the model was given. */
export function citedNumbers(text: string, passageCount: number): Set<number> {
  const cited = new Set<number>();
  for (const match of text.matchAll(/\[(\d{1,3})\]/g)) {
    const n = Number(match[1]);
    if (n >= 1 && n <= passageCount) cited.add(n);
  }
  return cited;
}

function toSources(chunks: ScoredChunk[], cited: Set<number>): Source[] {
  const sources = chunks.map((c, i) => ({
    id: i + 1,
    chunkId: c.id,
    documentId: c.documentId,
    title: c.title,
    source: c.source,
    location: c.location,
    snippet: snippet(c.text),
    text: c.text,
    url: originalUrl(c.documentId, c.location, c.source),
    score: Math.round(c.score * 1000) / 1000,
    cited: cited.has(i + 1),
  }));
  // Cited passages first, each group in retrieval order; numbers stay those of the prompt.
  return [...sources.filter((s) => s.cited), ...sources.filter((s) => !s.cited)];
}

/** Originals that ragchat shows as its own page, with an anchor on every heading. */
const RENDERED_ORIGINAL = /\.(?:md|markdown|docx)$/i;

/**
 * The route that serves the original, with a fragment that lands on the passage: `#page=N` for a
 * PDF page (browsers' PDF viewers honour it); the heading's anchor for Markdown and Word, which
 * are shown as pages with one anchor per heading; else a text fragment on the nearest heading
 * (`#:~:text=`, which Chromium-based browsers and Safari scroll to and highlight).
 */
export function originalUrl(documentId: string, location: string, source = ''): string {
  const base = `/docs/${encodeURIComponent(documentId)}/original`;
  const page = /^Page (\d+)/.exec(location);
  if (page) return `${base}#page=${page[1]}`;
  const heading = location.split(' › ').at(-1)?.trim();
  if (!heading) return base;
  if (RENDERED_ORIGINAL.test(source)) return `${base}#${headingAnchor(heading)}`;
  return `${base}#:~:text=${encodeURIComponent(heading).replace(/-/g, '%2D')}`;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= SNIPPET_CHARS) return flat;
  const cut = flat.slice(0, SNIPPET_CHARS);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), SNIPPET_CHARS - 40))}…`;
}
