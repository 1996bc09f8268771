import { afterAll, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Passage } from '../../../src/integrations/integration-service.ts';
import { ALICE, apiToken, BOB, login, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import type { TestApp } from '../../support/test-deps.ts';

/**
 * The MCP server over real HTTP, driven by the SDK's own client (Streamable HTTP), as Claude
 * Desktop or an agent framework would. Alice may read "hr"; Bob may not.
 */
let t: TestApp & { ids: Record<string, string> };
let base: string;
let stopServer: () => void;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
const clients: Client[] = [];

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'ragchat-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return client;
}

beforeSuite(async () => {
  t = await makeAccountsApp();
  const server = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  base = `http://127.0.0.1:${server.server?.port}`;
  stopServer = () => server.stop(true);
  tokens.alice = await apiToken(t, ALICE, 'mcp-client');
  tokens.bob = await apiToken(t, BOB, 'mcp-client');
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  stopServer?.();
  await t?.cleanup();
});

type Structured<T> = { structuredContent: T; isError?: boolean; content: { type: string; text: string }[] };
const call = async <T>(client: Client, name: string, args: Record<string, unknown> = {}) =>
  (await client.callTool({ name, arguments: args })) as unknown as Structured<T>;

test('the client lists the four tools, with their input schemas', async () => {
  const client = await connect(tokens.alice);
  const { tools } = await client.listTools();
  expect(tools.map((x) => x.name).sort()).toEqual(['ask', 'get_document', 'list_collections', 'search_documents']);
  const search = tools.find((x) => x.name === 'search_documents');
  expect(Object.keys(search?.inputSchema.properties ?? {}).sort()).toEqual(['collection', 'query', 'top_k']);
  expect(search?.inputSchema.required).toEqual(['query']);
});

test('search_documents returns passages with title, location, url and score, best first', async () => {
  const client = await connect(tokens.alice);
  const found = await call<{ passages: Passage[] }>(client, 'search_documents', {
    query: 'How is an answer streamed?',
    top_k: 3,
  });
  expect(found.isError).toBeFalsy();
  const { passages } = found.structuredContent;
  expect(passages.length).toBe(3);
  for (const p of passages) {
    expect(typeof p.title).toBe('string');
    expect(typeof p.location).toBe('string');
    expect(p.url.startsWith(`${base}/docs/`)).toBe(true);
    expect(p.score).toBeGreaterThan(0);
  }
  expect(passages.map((p) => p.score)).toEqual(passages.map((p) => p.score).toSorted((a, b) => b - a));
  // The link opens the original for the caller.
  const cookie = await login(t, ALICE);
  expect((await fetch(passages[0]?.url as string, { headers: { cookie } })).status).toBe(200);
});

test('list_collections, get_document and the document resources show only what the caller may read', async () => {
  const alice = await connect(tokens.alice);
  const bob = await connect(tokens.bob);
  const ids = async (c: Client) =>
    (await call<{ collections: { id: string }[] }>(c, 'list_collections')).structuredContent.collections.map(
      (x) => x.id,
    );
  expect((await ids(alice)).sort()).toEqual(['general', 'hr']);
  expect(await ids(bob)).toEqual(['general']);

  const hrDoc = (await t.deps.catalog.list()).find((d) => d.collection === 'hr');
  const hers = await call<{ title: string; collection: string; text: string }>(alice, 'get_document', {
    id: hrDoc?.id,
  });
  expect(hers.structuredContent).toMatchObject({ title: 'Salary bands', collection: 'hr' });
  expect(hers.structuredContent.text).toContain('zanzibar salary band');
  const his = await call(bob, 'get_document', { id: hrDoc?.id });
  const missing = await call(bob, 'get_document', { id: 'no-such-document' });
  expect(his.isError).toBe(true);
  expect(his.content[0]?.text).toBe('That document was not found.');
  expect(missing.content[0]?.text).toBe(his.content[0]?.text as string);

  const aliceResources = (await alice.listResources()).resources.map((r) => r.name);
  const bobResources = (await bob.listResources()).resources.map((r) => r.name);
  expect(aliceResources).toContain('Salary bands');
  expect(bobResources).not.toContain('Salary bands');
  expect(bobResources.length).toBe(aliceResources.length - 1);
  const uri = `ragchat://documents/${encodeURIComponent(hrDoc?.id as string)}`;
  const read = await alice.readResource({ uri });
  expect((read.contents[0] as { text: string }).text).toContain('zanzibar');
  expect(await bob.readResource({ uri }).catch((e) => e)).toBeInstanceOf(Error);
});

test('a member never gets a passage from a collection they may not read, through search or ask', async () => {
  const bob = await connect(tokens.bob);
  const searched = await call<{ passages: Passage[] }>(bob, 'search_documents', {
    query: 'zanzibar salary band staff engineers',
    top_k: 50,
  });
  expect(searched.structuredContent.passages.some((p) => p.collection === 'hr' || p.text.includes('zanzibar'))).toBe(
    false,
  );
  const named = await call(bob, 'search_documents', { query: 'zanzibar', collection: 'hr' });
  const unknown = await call(bob, 'search_documents', { query: 'zanzibar', collection: 'nothing-here' });
  expect(named.isError).toBe(true);
  expect(named.content[0]?.text.replace('"hr"', 'X')).toBe(
    unknown.content[0]?.text.replace('"nothing-here"', 'X') as string,
  );

  const asked = await call<{ answer: string; sources: { title: string; snippet: string }[] }>(bob, 'ask', {
    question: 'What is the zanzibar salary band for staff engineers?',
  });
  expect(asked.isError).toBeFalsy();
  expect(
    asked.structuredContent.sources.some((s) => s.title === 'Salary bands' || s.snippet.includes('zanzibar')),
  ).toBe(false);
  expect(asked.structuredContent.answer).not.toContain('140k');

  // Alice, who may read it, finds it.
  const alice = await connect(tokens.alice);
  const hers = await call<{ passages: Passage[] }>(alice, 'search_documents', {
    query: 'zanzibar salary band',
    collection: 'hr',
  });
  expect(hers.structuredContent.passages[0]?.text).toContain('zanzibar');
});

test('ask answers with its sources and stores the conversation, marked as asked from MCP', async () => {
  const client = await connect(tokens.alice);
  const asked = await call<{ answer: string; sources: { id: number; url: string }[]; conversationId: string }>(
    client,
    'ask',
    { question: 'How is an answer streamed?' },
  );
  expect(asked.isError).toBeFalsy();
  expect(asked.structuredContent.answer.length).toBeGreaterThan(0);
  expect(asked.structuredContent.sources.length).toBeGreaterThan(0);
  expect(asked.structuredContent.sources[0]?.url.startsWith(`${base}/docs/`)).toBe(true);
  expect(asked.content[0]?.text).toContain('**Sources**');
  const conversation = await t.deps.repo.getConversation(asked.structuredContent.conversationId);
  expect(conversation).toMatchObject({ userId: t.ids.alice, origin: 'mcp', title: 'How is an answer streamed?' });
});

test('without a valid token the endpoint refuses, with a sentence', async () => {
  const init = (headers: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  const refused: Record<string, string>[] = [
    {},
    { authorization: 'Bearer rc_not-a-token' },
    { cookie: await login(t, BOB) },
  ];
  for (const headers of refused) {
    const res = await fetch(`${base}/mcp`, init(headers));
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toContain('API token');
  }
  // Stateless: no stream to open, no session to end; and a body that is not JSON-RPC is a 400.
  for (const method of ['GET', 'DELETE']) {
    const res = await fetch(`${base}/mcp`, { method, headers: { authorization: `Bearer ${tokens.bob}` } });
    expect(res.status).toBe(405);
    expect((await res.json()).error.message).toContain('send each request as a POST');
  }
  const notRpc = await fetch(`${base}/mcp`, {
    ...init({ authorization: `Bearer ${tokens.bob}` }),
    body: JSON.stringify({ question: 'hi' }),
  });
  expect(notRpc.status).toBe(400);
  const client = new Client({ name: 'no-token', version: '1.0.0' });
  expect(
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`))).catch((e) => e),
  ).toBeInstanceOf(Error);
});
