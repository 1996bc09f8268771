/**
 * The load: questions asked over `POST /api/chat` with `Accept: text/event-stream`, read the way a
 * client reads them (src/chat/api-routes.ts): `start`, `token`…, `sources`, then `done` (with the
 * answer's `timings`) or `error`. Closed loop: each user asks, reads the whole answer, asks again.
 * Burst: K questions at once.
 */

export interface Turn {
  /** HTTP status of the answer (200 for a stream; 429 or 503 for a refusal). */
  status: number;
  /** From sending the question to the first `token` event; null when none came. */
  ttftMs: number | null;
  /** When the first `token` event came (performance.now()); null when none came. */
  firstTokenAt: number | null;
  /** From sending the question to the end of the stream. */
  totalMs: number;
  /** The stream ended with `done` and status `complete`. */
  completed: boolean;
  /** The `timings` of the `done` event (ms per phase). */
  timings?: Record<string, number>;
  /** The code of an `error` event or of a refusal's body. */
  errorCode?: string;
}

const TOKEN_EVENT = 'event: token\n';
const DONE_EVENT = 'event: done\ndata: ';
const ERROR_EVENT = 'event: error\ndata: ';

/** One question, its answer read to the end. Network failures come back as status 0, never thrown. */
export async function askOverSse(base: string, message: string): Promise<Turn> {
  const started = performance.now();
  const turn: Turn = { status: 0, ttftMs: null, firstTokenAt: null, totalMs: 0, completed: false };
  try {
    const res = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message }),
    });
    turn.status = res.status;
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
      turn.errorCode = body?.error?.code ?? `http_${res.status}`;
      return turn;
    }
    const decoder = new TextDecoder();
    let text = '';
    const reader = res.body.getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      // A frame may be split across chunks; searching the whole text so far finds it either way.
      if (turn.firstTokenAt === null && text.includes(TOKEN_EVENT)) {
        turn.firstTokenAt = performance.now();
        turn.ttftMs = turn.firstTokenAt - started;
      }
    }
    const done = lastEventData(text, DONE_EVENT);
    if (done) {
      const event = JSON.parse(done) as { status?: string; timings?: Record<string, number> };
      turn.completed = event.status === 'complete';
      turn.timings = event.timings;
    } else {
      const error = lastEventData(text, ERROR_EVENT);
      turn.errorCode = error ? ((JSON.parse(error) as { code?: string }).code ?? 'error') : 'stream_cut';
    }
  } catch (error) {
    turn.errorCode = `network: ${(error as Error).message}`;
  } finally {
    turn.totalMs = performance.now() - started;
  }
  return turn;
}

function lastEventData(text: string, marker: string): string | null {
  const at = text.lastIndexOf(marker);
  if (at < 0) return null;
  const from = at + marker.length;
  const end = text.indexOf('\n', from);
  return text.slice(from, end < 0 ? undefined : end);
}

/**
 * `users` users, each asking again as soon as its answer ends, until `durationMs` has passed (an
 * answer begun before then is read to its end). `elapsedMs` runs to the last answer's end. User i
 * starts `i / users × staggerMs` late: people do not press Enter on the same millisecond, and users
 * started together stay in step (every answer takes as long), which would measure a burst of
 * `users` questions each time round instead of a steady load.
 */
export async function closedLoop(
  base: string,
  users: number,
  durationMs: number,
  questions: readonly string[],
  staggerMs = 0,
): Promise<{ turns: Turn[]; elapsedMs: number }> {
  const turns: Turn[] = [];
  const started = performance.now();
  let asked = 0;
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      if (staggerMs > 0) await Bun.sleep((i / users) * staggerMs);
      while (performance.now() - started < durationMs) {
        turns.push(await askOverSse(base, questions[asked++ % questions.length] as string));
      }
    }),
  );
  return { turns, elapsedMs: performance.now() - started };
}

export interface BurstResult {
  turns: Turn[];
  /** From the burst's start until every accepted answer had its first fragment. */
  allStreamingMs: number;
  elapsedMs: number;
}

/** `size` questions sent at once, each read to its end. */
export async function burst(base: string, size: number, questions: readonly string[]): Promise<BurstResult> {
  const started = performance.now();
  const turns = await Promise.all(
    Array.from({ length: size }, (_, i) => askOverSse(base, questions[i % questions.length] as string)),
  );
  const firsts = turns.flatMap((t) => (t.firstTokenAt === null ? [] : [t.firstTokenAt]));
  return {
    turns,
    allStreamingMs: firsts.length > 0 ? Math.max(...firsts) - started : Number.NaN,
    elapsedMs: performance.now() - started,
  };
}
