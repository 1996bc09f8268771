import { afterAll, beforeEach, expect, test } from 'bun:test';
import { beforeSuite } from '../../support/before-suite.ts';
import { type Fleet, startFleet } from '../../support/fleet.ts';
import { dropSchemas } from '../../support/postgres.ts';
import { type ParsedEvent, readEvents } from '../../support/test-deps.ts';

/*
 * Three real servers on one Postgres behind a round-robin proxy with no stickiness, as in prod:
 * whichever instance a request reaches, Stop, re-attach, the stream cap and the rate limits
 * behave as with one server, and an instance killed mid-answer is seen as a failure elsewhere.
 */
let fleet: Fleet;
const SWEEP_MS = 500;

beforeSuite(async () => {
  fleet = await startFleet(3, {
    MAX_STREAMS_PER_USER: '2',
    RATE_LIMIT_CHAT_PER_MINUTE: '4',
    ANSWER_SWEEP_MS: String(SWEEP_MS),
  });
});
afterAll(async () => {
  await fleet?.stop();
  await dropSchemas();
});
// Each test starts with full buckets (the questions of the tests before it would count).
beforeEach(async () => {
  if (fleet) await fleet.sql`DELETE FROM rate_buckets`;
});

const words = (n: number) => Array.from({ length: n }, (_, i) => ` w${i}`);
const slowly = (n: number, delayMs = 50) => {
  fleet.llm.script = { tokens: words(n), delayMs };
};

function ask(base: string, message: string, stream = true): Promise<Response> {
  return fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(stream ? { accept: 'text/event-stream' } : {}) },
    body: JSON.stringify({ message }),
  });
}

/** An SSE answer being read in the background: its events as they come, its text over time. */
function follow(response: Response) {
  const events: ParsedEvent[] = [];
  const timeline: { at: number; chars: number }[] = [];
  let text = '';
  let cut: Error | null = null;
  const started = performance.now();
  const ended = (async () => {
    try {
      for await (const e of readEvents(response, started)) {
        events.push(e);
        if (e.event === 'token') {
          text += (JSON.parse(e.data) as { text: string }).text;
          timeline.push({ at: performance.now(), chars: text.length });
        }
      }
    } catch (error) {
      // The writer was killed under this connection.
      cut = error as Error;
    }
  })();
  return {
    events,
    timeline,
    text: () => text,
    ended,
    cut: () => cut,
    async until(check: () => boolean, ms = 10_000) {
      const deadline = performance.now() + ms;
      while (!check()) {
        if (performance.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
        await Bun.sleep(10);
      }
    },
    ids(): { conversationId: string; messageId: string } {
      const start = events.find((e) => e.event === 'start');
      if (!start) throw new Error('no start event');
      return JSON.parse(start.data);
    },
    last: () => events.at(-1),
  };
}

const tokens = (f: ReturnType<typeof follow>) => f.events.filter((e) => e.event === 'token').length;
const stored = async (id: string) =>
  (
    await fleet.sql<{ status: string; content: string; error: string | null }[]>`
    SELECT status, content, error FROM messages WHERE id = ${id}`
  )[0];

test('a Stop sent to another instance aborts the upstream call within 1 s and stores the partial text as stopped', async () => {
  slowly(200);
  const response = await ask(fleet.proxy.url, 'How are answers streamed to the browser?');
  expect(response.status).toBe(200);
  const writer = Number(response.headers.get('x-served-by'));
  const answer = follow(response);
  await answer.until(() => tokens(answer) >= 5);
  const { messageId } = answer.ids();
  const other = fleet.instances[(writer + 1) % 3];
  const sentAt = performance.now();
  const stop = await fetch(`${other?.url}/api/chat/${messageId}/stop`, { method: 'POST' });
  const answeredMs = performance.now() - sentAt;
  expect(stop.status).toBe(200);
  // The answer to the Stop is the stored message, already stopped.
  expect(await stop.json()).toMatchObject({ messageId, status: 'stopped' });
  const upstream = fleet.llm.lastRequest();
  for (let i = 0; i < 100 && upstream?.abortedAfterMs === undefined; i++) await Bun.sleep(10);
  expect(upstream?.abortedAfterMs).toBeDefined();
  const abortedMs = (upstream?.arrivedAt ?? 0) + (upstream?.abortedAfterMs ?? 0) - sentAt;
  console.log(
    `Stop through another instance: upstream aborted ${abortedMs.toFixed(0)} ms after the Stop was sent, answered in ${answeredMs.toFixed(0)} ms`,
  );
  expect(abortedMs).toBeLessThan(1000);
  expect(upstream?.chunksSent).toBeLessThan(200);
  await answer.ended;
  expect(answer.last()?.event).toBe('done');
  expect(JSON.parse(answer.last()?.data ?? '{}')).toMatchObject({ status: 'stopped' });
  const row = await stored(messageId);
  expect(row?.status).toBe('stopped');
  expect(row?.content).toBe(answer.text());
  expect(row?.content.length).toBeGreaterThan(0);
}, 30_000);

test('re-attached on another instance, a follower receives every token in order, close behind the writer', async () => {
  slowly(40);
  const first = fleet.instances[0]?.url as string;
  const answer = follow(await ask(first, 'How are answers streamed to the browser?'));
  await answer.until(() => tokens(answer) >= 5);
  const { messageId } = answer.ids();
  const reattached = await fetch(`${fleet.instances[1]?.url}/api/chat/${messageId}/stream`);
  expect(reattached.status).toBe(200);
  expect(reattached.headers.get('content-type')).toContain('text/event-stream');
  const follower = follow(reattached);
  await Promise.all([answer.ended, follower.ended]);
  const whole = words(40).join('');
  expect(answer.text()).toBe(whole);
  expect(follower.text()).toBe(whole);
  expect(follower.events.map((e) => e.event)).toEqual([
    'start',
    ...follower.events.filter((e) => e.event === 'token').map(() => 'token'),
    'sources',
    'done',
  ]);
  expect(JSON.parse(follower.last()?.data ?? '{}')).toMatchObject({ messageId, status: 'complete' });
  // Lag: when the follower got a fragment, against when the writer's own reader got its first
  // character (the oldest text in each flush waited longest).
  const lags = follower.timeline
    .slice(1) // the first event replays what was written before it attached
    .map((p, i) => {
      const before = follower.timeline[i]?.chars ?? 0;
      return p.at - (answer.timeline.find((a) => a.chars > before)?.at ?? p.at);
    });
  const worst = Math.max(...lags);
  console.log(
    `follower on another instance: ${follower.timeline.length} token events, lag behind the writer p50 ${lags.sort((a, b) => a - b)[Math.floor(lags.length / 2)]?.toFixed(0)} ms, worst ${worst.toFixed(0)} ms`,
  );
  expect(worst).toBeLessThan(450);
  expect((await stored(messageId))?.content).toBe(whole);
}, 30_000);

test('the per-user cap on answers being written holds across the three instances', async () => {
  slowly(400);
  const [a, b, c] = fleet.instances.map((s) => s.url);
  const one = follow(await ask(a as string, 'First question?'));
  const two = follow(await ask(b as string, 'Second question?'));
  await one.until(() => one.events.length > 0);
  await two.until(() => two.events.length > 0);
  const third = await ask(c as string, 'Third question?');
  expect(third.status).toBe(429);
  expect(((await third.json()) as { error: { code: string; message: string } }).error).toEqual({
    code: 'too_many_streams',
    message: '2 answers are still being written; wait for one to finish or stop it.',
  });
  // Stopping one (through the third instance) frees its slot for a question anywhere.
  const stop = await fetch(`${c}/api/chat/${one.ids().messageId}/stop`, { method: 'POST' });
  expect(((await stop.json()) as { status: string }).status).toBe('stopped');
  let fourth = await ask(c as string, 'Fourth question?');
  for (let i = 0; i < 20 && fourth.status === 429; i++) {
    await Bun.sleep(50);
    fourth = await ask(c as string, 'Fourth question?');
  }
  expect(fourth.status).toBe(200);
  const four = follow(fourth);
  await four.until(() => four.events.length > 0);
  for (const f of [two, four]) await fetch(`${a}/api/chat/${f.ids().messageId}/stop`, { method: 'POST' });
  await Promise.all([one.ended, two.ended, four.ended]);
}, 30_000);

test('deleting a conversation through another instance stops its answer on the writer', async () => {
  slowly(400);
  const answer = follow(await ask(fleet.instances[0]?.url as string, 'Where is my data?'));
  await answer.until(() => tokens(answer) >= 3);
  const { conversationId, messageId } = answer.ids();
  const sentAt = performance.now();
  const deleted = await fetch(`${fleet.instances[1]?.url}/api/conversations/${conversationId}`, { method: 'DELETE' });
  expect(deleted.status).toBe(204);
  await answer.ended;
  const upstream = fleet.llm.lastRequest();
  // The writer may end its stream a moment before the stand-in sees its request aborted.
  for (let i = 0; i < 100 && upstream?.abortedAfterMs === undefined; i++) await Bun.sleep(10);
  expect((upstream?.arrivedAt ?? 0) + (upstream?.abortedAfterMs ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(
    1000,
  );
  expect(upstream?.chunksSent).toBeLessThan(400);
  expect(await stored(messageId)).toBeUndefined();
}, 30_000);

test('the question rate limit holds across the three instances, with Retry-After', async () => {
  fleet.llm.script = { tokens: ['Short.'] };
  const served = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const res = await ask(fleet.proxy.url, `Question ${i}?`, false);
    expect(res.status).toBe(200);
    served.add(res.headers.get('x-served-by') ?? '');
  }
  expect(served.size).toBe(3);
  const refused = await ask(fleet.proxy.url, 'One too many?', false);
  expect(refused.status).toBe(429);
  const retryAfter = Number(refused.headers.get('retry-after'));
  // 4 a minute: the next token in 15 s.
  expect(retryAfter).toBeWithin(1, 16);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
}, 30_000);

test('each instance holds no more Postgres connections than it counts (pool, lock pool, one listener)', async () => {
  for (const server of fleet.instances) {
    const line = server.log().match(/"databaseConnections":(\d+),"instance":"([0-9a-f-]{36})"/);
    expect(line).not.toBeNull();
    const [, counted, id] = line as RegExpMatchArray;
    // DATABASE_POOL_SIZE 10 + the lock pool's 4 + the listener.
    expect(Number(counted)).toBe(15);
    const [row] = await fleet.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${`ragchat/${id}`}`;
    // At least the listener and a pool connection (the pools open connections as they need them).
    console.log(`instance ${id}: ${row?.n} Postgres connections open, at most ${counted}`);
    expect(row?.n).toBeWithin(2, Number(counted) + 1);
  }
});

/** An answer asked on instance `writer`, followed from instance 0 once it has `followAfter` fragments. */
async function writtenAndFollowed(writer: number, followAfter: number) {
  const answer = follow(await ask(fleet.instances[writer]?.url as string, 'How are answers streamed to the browser?'));
  await answer.until(() => tokens(answer) >= 3);
  const { messageId } = answer.ids();
  const follower = follow(await fetch(`${fleet.instances[0]?.url}/api/chat/${messageId}/stream`));
  await follower.until(() => tokens(follower) >= followAfter);
  return { answer, follower, messageId, server: fleet.instances[writer] };
}

test('SIGTERM: the instance drains (readyz 503), finishes its answer, and a follower elsewhere sees the end', async () => {
  // Also a long answer written elsewhere and followed through the draining instance: that
  // stream ends when the instance has finished its own answers, it does not hold the exit.
  slowly(400);
  const long = follow(await ask(fleet.instances[2]?.url as string, 'A long one?'));
  await long.until(() => tokens(long) >= 1);
  const throughDraining = follow(await fetch(`${fleet.instances[1]?.url}/api/chat/${long.ids().messageId}/stream`));
  await throughDraining.until(() => tokens(throughDraining) >= 1);
  slowly(40);
  const { answer, follower, server: draining } = await writtenAndFollowed(1, 1);
  const sentAt = performance.now();
  draining?.proc.kill('SIGTERM');
  let ready = 0;
  for (let i = 0; i < 50 && ready !== 503; i++) {
    ready = (await fetch(`${draining?.url}/readyz`)).status;
    if (ready !== 503) await Bun.sleep(20);
  }
  expect(ready).toBe(503);
  await Promise.all([answer.ended, follower.ended]);
  expect(JSON.parse(answer.last()?.data ?? '{}')).toMatchObject({ status: 'complete' });
  expect(JSON.parse(follower.last()?.data ?? '{}')).toMatchObject({ status: 'complete' });
  expect(follower.text()).toBe(words(40).join(''));
  expect(await draining?.proc.exited).toBe(0);
  // Its own answer took about 2 s; the long one (20 s) did not keep it.
  expect(performance.now() - sentAt).toBeLessThan(10_000);
  await throughDraining.ended;
  expect(['done', 'error']).not.toContain(throughDraining.last()?.event);
  await fetch(`${fleet.instances[0]?.url}/api/chat/${long.ids().messageId}/stop`, { method: 'POST' });
  await long.ended;
  await fleet.restart(1);
}, 40_000);

test('kill -9 of the writer: a follower on another instance sees the failure, and the row keeps the text streamed', async () => {
  slowly(400);
  const { answer, follower, messageId, server: writer } = await writtenAndFollowed(2, 10);
  writer?.proc.kill('SIGKILL');
  const killedAt = performance.now();
  await writer?.proc.exited;
  // What the writer's own reader had a flush interval (200 ms) and a little before the kill.
  const before = answer.timeline.filter((p) => p.at <= killedAt - 250).at(-1)?.chars ?? 0;
  await follower.ended;
  const seenMs = performance.now() - killedAt;
  if (follower.cut()) throw new Error(`the follower's stream was cut: ${fleet.instances[0]?.log().slice(-3000)}`);
  expect(answer.cut()).not.toBeNull();
  console.log(
    `kill -9: the follower saw the failure ${seenMs.toFixed(0)} ms after the kill (sweep every ${SWEEP_MS} ms)`,
  );
  expect(follower.last()?.event).toBe('error');
  expect(JSON.parse(follower.last()?.data ?? '{}')).toMatchObject({
    messageId,
    message: 'The server stopped while this answer was being written.',
  });
  expect(seenMs).toBeLessThan(3 * SWEEP_MS + 2 * SWEEP_MS + 1500);
  const row = await stored(messageId);
  expect(row?.status).toBe('failed');
  expect(
    words(400)
      .join('')
      .startsWith(row?.content ?? 'x'),
  ).toBe(true);
  expect(row?.content.length).toBeGreaterThanOrEqual(before);
  expect(follower.text()).toBe(row?.content ?? '');
}, 30_000);
