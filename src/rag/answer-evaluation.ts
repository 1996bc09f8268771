import { z } from 'zod';
import type { Source } from '../domain.ts';
import type { RagOrchestrator } from './rag-orchestrator.ts';

/**
 * Answer evaluation on a labelled question set: does the answerer say plainly that the documents
 * do not say, when they do not, and does an answer cite the passage that holds it first? It runs
 * the chat's own path (retrieval, prompt, the configured answerer), so the same set measures the
 * offline answerer and a model.
 */

/** A passage that answers a question: the document it is in and a phrase only it has. */
const AnswerPassage = z.object({
  document: z.string().min(1, 'Each answer names its document, e.g. "configuration.md".'),
  phrase: z.string().min(3, 'Each answer has a distinctive phrase of the passage that holds it.'),
});

/** One line of the set; `answers: []` marks a question the documents do not answer. */
const LabelledQuestion = z.object({
  question: z.string().min(1, 'Each line has a question.'),
  answers: z.array(AnswerPassage),
});

export type LabelledQuestion = z.infer<typeof LabelledQuestion>;

export interface QuestionOutcome {
  question: string;
  answerable: boolean;
  /** The answer said plainly that the documents do not say, citing nothing. */
  abstained: boolean;
  /** For an answerable question: its first citation is one of the labelled passages. */
  rightFirst: boolean;
  /** Where the first citation points, as `document: heading`, for reading failures. */
  firstCited: string | null;
  answer: string;
}

export interface AnswerEvalResult {
  answerable: number;
  unanswerable: number;
  /** Share of unanswerable questions answered with a plain abstention. */
  abstentionRate: number;
  /** Share of answerable questions whose first citation is the labelled passage. */
  rightFirstRate: number;
  /** Answerable questions the answerer declined: the cost of abstaining. */
  falseAbstentions: number;
  outcomes: QuestionOutcome[];
}

/** Reads a JSON Lines set, one `{question, answers}` a line; an error names the line. */
export function parseLabelledQuestions(text: string): LabelledQuestion[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, n }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new Error(`Line ${n} is not JSON.`);
      }
      const parsed = LabelledQuestion.safeParse(raw);
      if (!parsed.success) throw new Error(`Line ${n}: ${parsed.error.issues.map((i) => i.message).join(' ')}`);
      return parsed.data;
    });
}

/*
 * How a plain abstention reads: the offline answerer's sentence, or a model's own wording of the
 * system prompt's rule ("say plainly that the documents do not cover it"). An answer that cites a
 * passage is never an abstention, whatever it says.
 */
const ABSTENTION =
  /\b(?:do(?:es)?n[’']?t|do(?:es)? not|never)\s+(?:say|cover|mention|contain|include|describe|address|specify|state|discuss)\b|\bno (?:information|mention)\b|\bnot (?:covered|mentioned|described|addressed|specified)\b/i;

export function isAbstention(answer: string, sources: readonly Source[]): boolean {
  return !sources.some((s) => s.cited) && ABSTENTION.test(answer);
}

/** Compares text as a reader would: Markdown code marks and spacing do not matter. */
function flatten(text: string): string {
  return text.replace(/[`*_]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

function holds(source: Source, passage: z.infer<typeof AnswerPassage>): boolean {
  const document = passage.document.toLowerCase();
  const path = source.source.toLowerCase();
  return (path === document || path.endsWith(`/${document}`)) && flatten(source.text).includes(flatten(passage.phrase));
}

/** The source the answer cites first, in reading order. */
export function firstCitedSource(answer: string, sources: readonly Source[]): Source | null {
  const byId = new Map(sources.map((s) => [s.id, s]));
  for (const match of answer.matchAll(/\[(\d{1,3})\]/g)) {
    const source = byId.get(Number(match[1]));
    if (source) return source;
  }
  return null;
}

/** Asks every question of the set, one at a time, through the orchestrator. */
export async function evaluateAnswers(
  set: readonly LabelledQuestion[],
  orchestrator: RagOrchestrator,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<AnswerEvalResult> {
  const signal = options.signal ?? new AbortController().signal;
  const outcomes: QuestionOutcome[] = [];
  for (const item of set) {
    const rag = await orchestrator.answer(item.question, [], signal);
    let answer = '';
    for await (const fragment of rag.tokens) answer += fragment;
    const sources = rag.sourcesFor(answer);
    const first = firstCitedSource(answer, sources);
    outcomes.push({
      question: item.question,
      answerable: item.answers.length > 0,
      abstained: isAbstention(answer, sources),
      rightFirst: first !== null && item.answers.some((a) => holds(first, a)),
      firstCited: first ? [first.source, first.location].filter(Boolean).join(': ') : null,
      answer,
    });
    options.onProgress?.(outcomes.length, set.length);
  }
  const answerable = outcomes.filter((o) => o.answerable);
  const unanswerable = outcomes.filter((o) => !o.answerable);
  const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
  return {
    answerable: answerable.length,
    unanswerable: unanswerable.length,
    abstentionRate: share(unanswerable.filter((o) => o.abstained).length, unanswerable.length),
    rightFirstRate: share(answerable.filter((o) => o.rightFirst).length, answerable.length),
    falseAbstentions: answerable.filter((o) => o.abstained).length,
    outcomes,
  };
}
