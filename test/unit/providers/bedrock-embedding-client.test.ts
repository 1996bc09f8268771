import { afterAll, describe, expect, test } from 'bun:test';
import { BedrockEmbeddingClient } from '../../../src/providers/bedrock-embedding-client.ts';
import { BedrockStandIn, TITAN_V2 } from '../../support/bedrock-stand-in.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

/**
 * Embeddings through Bedrock as ingestion and retrieval use them: the app built from the config
 * (`EMBEDDINGS_PROVIDER=bedrock`), the real AWS SDK, and the stand-in's InvokeModel. The keyword
 * side is weighed 0, so the passages found are found by the Bedrock vectors alone.
 */
const standIn = new BedrockStandIn();
const credentials = { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' };
beforeSuite(() => {
  standIn.start();
  standIn.setScript({ tokens: [] });
});
afterAll(() => standIn.stop());

const appWith = (env: Record<string, string>) =>
  makeTestApp({
    env: {
      EMBEDDINGS_PROVIDER: 'bedrock',
      BEDROCK_REGION: 'us-east-1',
      BEDROCK_ENDPOINT: standIn.url,
      RETRIEVAL_KEYWORD_WEIGHT: '0',
      ...env,
    },
    overrides: { bedrockCredentials: credentials },
  });

async function expectRetrievalWorks(t: TestApp) {
  const res = await t.request('/api/chat', json({ message: 'How do I add my own documents?' }));
  const body = await res.json();
  expect(body.status).toBe('complete');
  expect(body.sources.some((s: { title: string }) => s.title === 'Adding your own documents')).toBe(true);
}

const invokesFor = (model: string, from: number) =>
  standIn.requests.slice(from).filter((r) => r.api === 'invoke' && r.modelId === model);

describe('Titan Text Embeddings v2', () => {
  let t: TestApp;
  let from = 0;
  beforeSuite(async () => {
    from = standIn.requests.length;
    t = await appWith({ EMBEDDING_MODEL: TITAN_V2, EMBEDDING_DIMENSIONS: '256' });
  });
  afterAll(() => t?.cleanup());

  test('ingests the sample documents with one text per request, at the configured dimensions', async () => {
    const invokes = invokesFor(TITAN_V2, from);
    expect(invokes.length).toBeGreaterThan(6);
    for (const r of invokes)
      expect(r.body).toEqual({ inputText: expect.any(String), dimensions: 256, normalize: true });
    expect(await t.deps.embedder.dimensions()).toBe(256);
    const chunks = (await (await t.request('/api/docs')).json()).documents.reduce(
      (n: number, d: { chunks: number }) => n + d.chunks,
      0,
    );
    expect(invokes.length).toBeGreaterThanOrEqual(chunks);
  });

  test('retrieves by the Bedrock vectors of the question', async () => {
    const before = standIn.requests.length;
    await expectRetrievalWorks(t);
    expect(invokesFor(TITAN_V2, before).map((r) => r.body.inputText)).toContain('How do I add my own documents?');
    expect(standIn.violations).toEqual([]);
  });
});

describe('Cohere Embed v3', () => {
  let t: TestApp;
  let from = 0;
  beforeSuite(async () => {
    from = standIn.requests.length;
    t = await appWith({ EMBEDDING_MODEL: 'cohere.embed-english-v3' });
  });
  afterAll(() => t?.cleanup());

  test('ingests with at most 96 texts per request, as documents, and retrieves by its vectors', async () => {
    const invokes = invokesFor('cohere.embed-english-v3', from);
    expect(invokes.length).toBeGreaterThan(0);
    for (const r of invokes) {
      expect(r.body).toMatchObject({ input_type: 'search_document', truncate: 'END', embedding_types: ['float'] });
      expect((r.body.texts as string[]).length).toBeLessThanOrEqual(96);
    }
    expect(await t.deps.embedder.dimensions()).toBe(1024);
    await expectRetrievalWorks(t);
    expect(standIn.violations).toEqual([]);
  });
});

describe('BedrockEmbeddingClient', () => {
  const client = (model: 'cohere.embed-multilingual-v3' | typeof TITAN_V2, timeoutMs = 10_000) =>
    new BedrockEmbeddingClient({ model, timeoutMs, region: 'us-east-1', endpoint: standIn.url, credentials });

  test('a request that outlasts its budget, retries included, says so with the budget', async () => {
    standIn.setScript({ tokens: [], latencyMs: 150, fault: 'ServiceUnavailableException' });
    const started = performance.now();
    await expect(client(TITAN_V2, 300).embed(['hello'])).rejects.toMatchObject({
      code: 'unavailable:embeddings',
      reason: 'timeout',
      message: 'The embedding service (Amazon Bedrock) did not answer within 300 ms.',
    });
    expect(performance.now() - started).toBeLessThan(2 * 300 + 300);
    standIn.setScript({ tokens: [] });
  });

  test('splits a large Cohere batch into requests of 96 texts, in order', async () => {
    standIn.setScript({ tokens: [] });
    const before = standIn.requests.length;
    const texts = Array.from({ length: 200 }, (_, i) => `text ${i}`);
    const vectors = await client('cohere.embed-multilingual-v3').embed(texts);
    expect(standIn.requests.slice(before).map((r) => (r.body.texts as string[]).length)).toEqual([96, 96, 8]);
    const [alone] = await client('cohere.embed-multilingual-v3').embed(['text 150']);
    expect(Array.from(vectors[150] as Float32Array)).toEqual(Array.from(alone as Float32Array));
  });

  test('Bedrock faults are translated at the boundary, with the SDK error kept as the cause', async () => {
    const cases = [
      ['ValidationException', 'bad_request', 'refused the request as invalid'],
      ['ResourceNotFoundException', 'model_not_found', 'does not know the configured model'],
      ['AccessDeniedException', 'auth', 'refused these AWS credentials'],
    ] as const;
    for (const [fault, reason, sentence] of cases) {
      standIn.setScript({ tokens: [], fault });
      const error = await client(TITAN_V2)
        .embed(['x'])
        .catch((e) => e);
      expect(error).toMatchObject({ code: 'unavailable:embeddings', reason });
      expect(error.message).toContain(sentence);
      expect((error.cause as Error).name).toBe(fault);
    }
    standIn.setScript({ tokens: [], latencyMs: 500 });
    expect(
      await client(TITAN_V2, 100)
        .embed(['slow'])
        .catch((e) => e),
    ).toMatchObject({ reason: 'timeout' });
    standIn.setScript({ tokens: [] });
  });

  test('aborting stops the embedding with the abort reason', async () => {
    standIn.setScript({ tokens: [], latencyMs: 300 });
    const controller = new AbortController();
    const pending = client(TITAN_V2).embed(['a', 'b'], controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await pending.catch((e) => e)).toBe(controller.signal.reason);
    standIn.setScript({ tokens: [] });
  });
});
