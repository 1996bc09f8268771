import { afterAll, expect, test } from 'bun:test';
import { silentLogger } from '../../../src/logger.ts';
import { openDeps } from '../../../src/startup.ts';
import { dropSchemas, freshSchema } from '../../support/postgres.ts';
import { makeTestApp, readEvents } from '../../support/test-deps.ts';

afterAll(dropSchemas);

test('with DATABASE_URL, a chat through the page is stored in Postgres and survives a restart', async () => {
  const { sql, schema, url } = await freshSchema();
  const env = { DATABASE_URL: `${url}?search_path=${schema}` };

  const first = await makeTestApp({ env });
  let conversationId = '';
  try {
    const response = await first.request('/chat/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
      body: new URLSearchParams({ message: 'Where is my data?', conversationId: '' }),
    });
    for await (const e of readEvents(response)) if (e.event === 'ragchat:conversation') conversationId = e.data;
    expect((await first.request('/readyz')).status).toBe(200);
  } finally {
    await first.cleanup();
  }

  const [conversation] = await sql`SELECT title, user_id FROM conversations WHERE id = ${conversationId}`;
  expect(conversation).toEqual({ title: 'Where is my data?', user_id: 'local' });
  const messages = await sql`
    SELECT role, status, content, jsonb_array_length(sources) AS sources, prompt_tokens, completion_tokens, latency_ms
    FROM messages WHERE conversation_id = ${conversationId} ORDER BY seq`;
  expect(messages.map((m) => [m.role, m.status])).toEqual([
    ['user', 'complete'],
    ['assistant', 'complete'],
  ]);
  expect(messages[1]?.content).toContain('[1]');
  expect(messages[1]?.sources).toBeGreaterThan(0);
  expect(messages[1]?.prompt_tokens).toBeGreaterThan(100);
  expect(messages[1]?.completion_tokens).toBeGreaterThan(5);

  // A new process with a new local data folder: the history can only come from Postgres. Its
  // embedded index is not the one that served the catalog, so it starts only by rebuilding it
  // (`ingest --reindex`), which makes it the registered one.
  await expect(makeTestApp({ env, seed: false })).rejects.toThrow(/QDRANT_URL/);
  const second = await makeTestApp({ env, seed: false, startUp: { resetIndex: true } });
  try {
    const page = await (await second.request(`/c/${conversationId}`)).text();
    expect(page).toContain('Where is my data?');
    expect(page).toContain('class="msg assistant complete"');
    expect(second.dataDir).not.toBe(first.dataDir);
  } finally {
    await second.cleanup();
  }
});

test('with DATABASE_URL and no QDRANT_URL, a second instance with an embedded index of its own is refused', async () => {
  const { schema, url } = await freshSchema();
  const env = { DATABASE_URL: `${url}?search_path=${schema}` };
  const first = await makeTestApp({ env, seed: false });
  try {
    const refused = makeTestApp({ env, seed: false });
    await expect(refused).rejects.toThrow(
      /already serves the embedded vector index of another ragchat instance .* Set QDRANT_URL so that every instance shares one index/,
    );
    // The same instance starting again (the same data folder) is welcome.
    const again = await openDeps(first.config, { logger: silentLogger });
    await again.close();
  } finally {
    await first.cleanup();
  }
});
