import { expect, test } from 'bun:test';
import { FinalWrites } from '../../../src/chat/final-writes.ts';
import { createLogger } from '../../../src/logger.ts';

/** A database that refuses writes while `down`, recording what landed in order. */
function database() {
  const db = { down: true, landed: [] as string[], attempts: [] as string[] };
  const write = (id: string) => async () => {
    db.attempts.push(id);
    if (db.down) throw new Error('connect ECONNREFUSED');
    db.landed.push(id);
  };
  return { db, write };
}

test('final writes wait while the database is away, then land in the order the answers ended', async () => {
  const lines: string[] = [];
  const writes = new FinalWrites(
    createLogger('info', (l) => lines.push(l)),
    { backoffMs: [20] },
  );
  const { db, write } = database();
  const stored: string[] = [];
  expect(await writes.store('a', write('a'), () => stored.push('a'))).toBe(false);
  db.down = false;
  // While `a` waits, `b` joins the queue behind it, without trying ahead of it.
  expect(await writes.store('b', write('b'), () => stored.push('b'))).toBe(false);
  expect(db.attempts).toEqual(['a']);
  await writes.settled(2000);
  expect(db.landed).toEqual(['a', 'b']);
  expect(stored).toEqual(['a', 'b']);
  expect(writes.pending).toBe(0);
  expect(lines.filter((l) => l.includes('stored an answer after retrying')).length).toBe(2);
  // Nothing waits any more: the next one is written at once.
  expect(await writes.store('c', write('c'), () => stored.push('c'))).toBe(true);
  expect(stored).toEqual(['a', 'b']);
});

test('a write that keeps failing is given up after its time, with a log line, and the queue moves on', async () => {
  const lines: string[] = [];
  const writes = new FinalWrites(
    createLogger('info', (l) => lines.push(l)),
    { backoffMs: [10], giveUpAfterMs: 100 },
  );
  const { db, write } = database();
  await writes.store('a', write('a'), () => {});
  await writes.settled(2000);
  expect(writes.pending).toBe(0);
  expect(db.landed).toEqual([]);
  expect(db.attempts.length).toBeGreaterThan(3);
  expect(lines.some((l) => l.includes('gave up storing an answer') && l.includes('"messageId":"a"'))).toBe(true);
});
