import { expect, test } from 'bun:test';
import type { Coordinator } from '../../src/fleet/coordinator.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

/**
 * Two instances of one deployment, as a backend gives them: `a` and `b` share what the fleet
 * shares (for the in-process backend, one server, they are the same object). `streaming(id)`
 * stores an answer being written under that id, for the backends that read answers back.
 */
export interface CoordinatorPair {
  a: Coordinator;
  b: Coordinator;
  streaming(messageId: string): Promise<void>;
}

/** What every Coordinator must do, whichever instance a request reaches. */
export function runCoordinatorContract<P extends CoordinatorPair>(name: string, backend: ContractBackend<P>) {
  const pair = eachTest(backend);
  const user = () => `user-${crypto.randomUUID()}`;

  test(`${name}: a rate limit holds across instances, with the seconds until the next token`, async () => {
    const { a, b } = await pair();
    const key = user();
    expect(await a.takeRate('chat', [key], 3)).toEqual({ ok: true });
    expect(await b.takeRate('chat', [key], 3)).toEqual({ ok: true });
    expect(await a.takeRate('chat', [key], 3)).toEqual({ ok: true });
    const refused = await b.takeRate('chat', [key], 3);
    expect(refused.ok).toBe(false);
    // 3 a minute: one token every 20 s.
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeWithin(19, 21);
    // Another client, and the same client for another kind, have buckets of their own.
    expect(await b.takeRate('chat', [user()], 3)).toEqual({ ok: true });
    expect(await b.takeRate('upload', [key], 3)).toEqual({ ok: true });
  });

  test(`${name}: keys are taken in order; a refusal leaves the later keys untouched`, async () => {
    const { a, b } = await pair();
    const [u, ip] = [user(), user()];
    expect(await a.takeRate('chat', [u], 1)).toEqual({ ok: true });
    expect((await b.takeRate('chat', [u, ip], 1)).ok).toBe(false);
    expect(await a.takeRate('chat', [ip], 1)).toEqual({ ok: true });
  });

  test(`${name}: the cap on answers being written holds across instances and frees on release`, async () => {
    const { a, b } = await pair();
    const u = user();
    expect(await b.writing(u)).toBe(0);
    const first = await a.claimStream(u, 2);
    const second = await b.claimStream(u, 2);
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect([await a.writing(u), await b.writing(u)]).toEqual([2, 2]);
    expect(await a.claimStream(u, 2)).toEqual({ ok: false, writing: 2 });
    expect((await b.claimStream(user(), 2)).ok).toBe(true);
    if (first.ok) first.release();
    if (first.ok) first.release(); // twice is once
    // A release needs no answer (it is not awaited by the writer), so wait for it to land.
    const deadline = Date.now() + 2000;
    let third = await b.claimStream(u, 2);
    while (!third.ok && Date.now() < deadline) {
      await Bun.sleep(20);
      third = await b.claimStream(u, 2);
    }
    expect(third.ok).toBe(true);
    expect(await a.claimStream(u, 2)).toEqual({ ok: false, writing: 2 });
  });

  test(`${name}: a burst of questions from one user gets exactly the cap`, async () => {
    const { a, b } = await pair();
    const u = user();
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claimStream(u, 3)));
    expect(claims.filter((c) => c.ok).length).toBe(3);
  });

  test(`${name}: a Stop sent through any instance reaches the writer within a second`, async () => {
    const { a, b } = await pair();
    const stopped: string[] = [];
    await a.start((id) => stopped.push(id));
    if (b !== a) await b.start(() => {});
    const id = Bun.randomUUIDv7();
    const sent = performance.now();
    await b.requestStop(id);
    while (!stopped.includes(id) && performance.now() - sent < 1000) await Bun.sleep(5);
    expect(stopped).toContain(id);
  });

  test(`${name}: a follower reads an answer written elsewhere as it grows, in order, then hears its end`, async () => {
    const { a, b, streaming } = await pair();
    await a.start(() => {});
    if (b !== a) await b.start(() => {});
    const id = Bun.randomUUIDv7();
    await streaming(id);
    const answer = { messageId: id, text: '' };
    a.publish(answer);
    let changes = 0;
    let ended = false;
    const unwatch = b.watch(id, () => changes++);
    const readUntil = async (from: number, expected: string) => {
      const started = performance.now();
      let seen = '';
      while (performance.now() - started < 1000) {
        seen = (await b.readSince(id, from))?.text ?? '';
        if (seen === expected) return performance.now() - started;
        await Bun.sleep(10);
      }
      throw new Error(`read ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
    };
    answer.text = 'Caf\u00e9 \u{1F600} first';
    // Within ~300 ms of the writer: a flush interval plus a read.
    expect(await readUntil(0, answer.text)).toBeLessThan(400);
    answer.text += ', then more';
    // Offsets count code points (the emoji is one), as a follower counts what it has read.
    expect(await readUntil(12, ', then more')).toBeLessThan(400);
    expect((await b.readSince(id, 0))?.status).toBe('streaming');
    const unwatchEnd = b.watch(id, () => {
      ended = true;
    });
    await a.ended(id);
    const deadline = performance.now() + 1000;
    while (!ended && performance.now() < deadline) await Bun.sleep(5);
    expect(ended).toBe(true);
    if (a !== b) expect(changes).toBeGreaterThan(0);
    unwatch();
    unwatchEnd();
  });

  test(`${name}: wrong passwords count across instances and a right one clears them`, async () => {
    const { a, b } = await pair();
    const account = `${user()}@example.com`;
    for (let i = 0; i < 4; i++) await (i % 2 ? a : b).loginFailed(account);
    expect(await a.loginWait(account)).toBe(0);
    await b.loginFailed(` ${account.toUpperCase()} `);
    // The fifth in a row: refused for 1 s, on every instance, whatever the spelling.
    expect(await a.loginWait(account)).toBe(1);
    await a.loginFailed(account);
    expect(await b.loginWait(account)).toBe(2);
    await b.loginSucceeded(account);
    expect(await a.loginWait(account)).toBe(0);
  });
}
