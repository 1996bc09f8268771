/**
 * The phases of an answer, in the order they happen:
 * - `validate`: from the request's handler to a checked question (its text, the user's stream cap);
 * - `store`: the conversation, the question and the empty answer written;
 * - `rewrite`: a follow-up rewritten into a standalone question (nothing for a first question);
 * - `embed`: the question embedded; `search`: the store's search and the reranker;
 * - `prompt`: the prompt built from the passages;
 * - `provider`: from the call to the model to its first answer fragment;
 * - `firstEvent`: from that fragment to the first answer event written to the client's stream
 *   (0 in the JSON answer, which writes nothing before the end).
 */
export const ANSWER_PHASES = [
  'validate',
  'store',
  'rewrite',
  'embed',
  'search',
  'prompt',
  'provider',
  'firstEvent',
] as const;

export type AnswerPhase = (typeof ANSWER_PHASES)[number];

/** Milliseconds per phase, to 0.1 ms, and `total`: from the request's handler to the moment they were read. */
export type AnswerTimingsJson = { [P in AnswerPhase]: number } & { total: number };

const INDEX = Object.fromEntries(ANSWER_PHASES.map((p, i) => [p, i])) as Record<AnswerPhase, number>;

/**
 * Where one answer's time goes. Each `mark` ends a phase: it lasts from the previous mark (or the
 * start) to now, so phases never overlap and add up to at most the total; a phase that did not
 * happen (no passages to search, no fragment before a failure) is 0, its time counted in the next
 * one that did. A phase is marked once: the first mark stands (several readers may write events).
 * One small object per answer and a clock read per phase, nothing per fragment.
 */
export class AnswerTimings {
  /** Offsets from the start at which each phase ended, ms; NaN until marked. */
  private readonly ends = new Float64Array(ANSWER_PHASES.length).fill(Number.NaN);

  constructor(private readonly startedAt = performance.now()) {}

  mark(phase: AnswerPhase): void {
    const i = INDEX[phase];
    if (Number.isNaN(this.ends[i] as number)) this.ends[i] = performance.now() - this.startedAt;
  }

  has(phase: AnswerPhase): boolean {
    return !Number.isNaN(this.ends[INDEX[phase]] as number);
  }

  /**
   * The phases so far and the total up to `now`. Rounded on the clock's offsets, in whole tenths,
   * before subtracting: the rounded phases still add up to at most the rounded total.
   */
  toJSON(now = performance.now()): AnswerTimingsJson {
    const out = {} as AnswerTimingsJson;
    let previous = 0;
    for (const phase of ANSWER_PHASES) {
      const end = this.ends[INDEX[phase]] as number;
      if (Number.isNaN(end)) {
        out[phase] = 0;
        continue;
      }
      const tenths = Math.round(end * 10);
      out[phase] = Math.max(0, tenths - previous) / 10;
      previous = Math.max(previous, tenths);
    }
    out.total = Math.max(previous, Math.round((now - this.startedAt) * 10)) / 10;
    return out;
  }
}

/** The `Server-Timing` header's value (W3C Server Timing): `validate;dur=0.4, store;dur=1.2, …, total;dur=1402.3`. */
export function serverTimingHeader(timings: AnswerTimingsJson): string {
  return [...ANSWER_PHASES, 'total' as const].map((name) => `${name};dur=${timings[name]}`).join(', ');
}
