import { afterAll, expect, test } from 'bun:test';
import { createLogger } from '../../../src/logger.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { dropSchemas, freshSchema, TEST_DATABASE_URL } from '../../support/postgres.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { makeTestApp, readEvents } from '../../support/test-deps.ts';

/*
 * Postgres goes away (a partition, a failover) while an answer is written: the reader still gets
 * the whole answer, and the answer is stored once the database is back, not lost.
 */
let link: TcpProxy;
afterAll(async () => {
  await link?.stop();
  await dropSchemas();
});
beforeSuite(async () => {
  const target = new URL(TEST_DATABASE_URL);
  link = new TcpProxy(target.hostname, Number(target.port || 5432)).start();
});

test('an answer that ends while Postgres is away is streamed whole and stored when the database is back', async () => {
  const { sql, schema } = await freshSchema();
  const url = new URL(TEST_DATABASE_URL);
  url.host = `127.0.0.1:${link.port}`;
  const lines: string[] = [];
  const t = await makeTestApp({
    env: { DATABASE_URL: `${url.href}?search_path=${schema}`, STORE_TIMEOUT_MS: '2000' },
    wordDelayMs: 20,
    overrides: { logger: createLogger('info', (line) => lines.push(line)) },
  });
  try {
    const response = await t.request('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'How are answers streamed to the browser?' }),
    });
    let messageId = '';
    let text = '';
    let last = '';
    for await (const e of readEvents(response)) {
      if (e.event === 'start') messageId = JSON.parse(e.data).messageId;
      if (e.event === 'token') {
        text += JSON.parse(e.data).text;
        // Away after the first words: the rest is written, and ends, with no database.
        if (text.length > 10) link.cut();
      }
      last = e.event;
      if (last === 'done') expect(JSON.parse(e.data).status).toBe('complete');
    }
    expect(last).toBe('done');
    expect(lines.some((l) => l.includes('could not store the answer; retrying until the database is back'))).toBe(true);
    const [during] = await sql`SELECT status FROM messages WHERE id = ${messageId}`;
    expect(during?.status).toBe('streaming');

    link.resume();
    const deadline = Date.now() + 15_000;
    let row: { status: string; content: string } | undefined;
    while (Date.now() < deadline) {
      [row] = await sql<
        { status: string; content: string }[]
      >`SELECT status, content FROM messages WHERE id = ${messageId}`;
      if (row?.status !== 'streaming') break;
      await Bun.sleep(100);
    }
    expect(row).toEqual({ status: 'complete', content: text });
    expect(lines.some((l) => l.includes('stored an answer after retrying'))).toBe(true);
  } finally {
    link.resume();
    await t.cleanup();
  }
}, 40_000);
