import { expect, test } from 'bun:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

test('no variables at all gives the offline defaults', () => {
  const c = loadConfig({});
  expect(c.port).toBe(3000);
  expect(c.dataDir).toBe('./data');
  expect(c.llm).toBeUndefined();
  expect(c.embeddings).toBeUndefined();
  expect(Object.isFrozen(c)).toBe(true);
});

test('an API key or a base URL switches the answerer to an OpenAI-compatible model', () => {
  expect(loadConfig({ OPENAI_API_KEY: 'sk-x' }).llm).toMatchObject({ apiKey: 'sk-x', model: 'gpt-4o-mini' });
  expect(loadConfig({ LLM_BASE_URL: 'http://localhost:11434/v1', LLM_MODEL: 'llama3.2' }).llm).toMatchObject({
    baseURL: 'http://localhost:11434/v1',
    model: 'llama3.2',
    apiKey: undefined,
  });
  expect(loadConfig({ EMBEDDINGS_BASE_URL: 'http://e/v1', OPENAI_API_KEY: 'k' }).embeddings).toMatchObject({
    apiKey: 'k',
    baseURL: 'http://e/v1',
  });
});

test('empty strings count as unset', () => {
  expect(loadConfig({ PORT: '', OPENAI_API_KEY: '', LLM_BASE_URL: '' })).toMatchObject({ port: 3000, llm: undefined });
});

test('every bad variable is reported at once, by name, without echoing secrets', () => {
  let error: ConfigError | null = null;
  try {
    loadConfig({
      PORT: 'eighty',
      LLM_BASE_URL: 'not a url',
      CHUNK_SIZE_TOKENS: '0',
      LOG_LEVEL: 'loud',
      OPENAI_API_KEY: '   ',
    });
  } catch (e) {
    error = e as ConfigError;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const names = (error as ConfigError).problems.map((p) => p.split(':')[0]);
  expect(names.sort()).toEqual(['CHUNK_SIZE_TOKENS', 'LLM_BASE_URL', 'LOG_LEVEL', 'PORT']);
  expect((error as ConfigError).message).toContain('PORT');
  expect((error as ConfigError).message).toContain('(got "eighty")');
});

test('the overlap must be smaller than the chunk size', () => {
  expect(() => loadConfig({ CHUNK_SIZE_TOKENS: '100', CHUNK_OVERLAP_TOKENS: '100' })).toThrow(/CHUNK_OVERLAP_TOKENS/);
});

test('a context window with no room beside the answer is refused; URLs are never echoed', () => {
  expect(() => loadConfig({ CONTEXT_WINDOW_TOKENS: '1000' })).toThrow(
    /CONTEXT_WINDOW_TOKENS: must be at least MAX_ANSWER_TOKENS \+ 1024/,
  );
  expect(loadConfig({ CONTEXT_WINDOW_TOKENS: '4096', MAX_ANSWER_TOKENS: '512' }).contextWindowTokens).toBe(4096);
  try {
    loadConfig({ LLM_BASE_URL: 'ftp://user:secret@host' });
  } catch (error) {
    expect((error as Error).message).toContain('LLM_BASE_URL');
    expect((error as Error).message).not.toContain('secret');
  }
  expect.assertions(4);
});

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
};

test('LLM_PROVIDER unset keeps the old choice; offline, openai and bedrock choose explicitly', () => {
  expect(loadConfig({ OPENAI_API_KEY: 'sk-x' }).llm).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini' });
  expect(loadConfig({ LLM_PROVIDER: 'offline', OPENAI_API_KEY: 'sk-x' }).llm).toBeUndefined();
  expect(loadConfig({ LLM_PROVIDER: 'openai', LLM_BASE_URL: 'http://localhost:11434/v1' }).llm?.provider).toBe(
    'openai',
  );
  expect(
    loadConfig({
      LLM_PROVIDER: 'bedrock',
      LLM_MODEL: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
      BEDROCK_REGION: 'eu-west-1',
      BEDROCK_ENDPOINT: 'https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com',
      // A key for another provider does not change an explicit choice.
      OPENAI_API_KEY: 'sk-x',
    }).llm,
  ).toEqual({
    provider: 'bedrock',
    model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    region: 'eu-west-1',
    endpoint: 'https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com',
  });
  // No region: the SDK's own chain (AWS_REGION, the profile) decides.
  expect(loadConfig({ LLM_PROVIDER: 'bedrock', LLM_MODEL: 'amazon.nova-lite-v1:0' }).llm).toMatchObject({
    region: undefined,
    endpoint: undefined,
  });
});

test('bedrock without LLM_MODEL is refused with an example id, not the OpenAI default', () => {
  expect(problemsOf({ LLM_PROVIDER: 'bedrock' })).toEqual([
    'LLM_MODEL: is required with LLM_PROVIDER=bedrock: a Bedrock model or inference-profile id, e.g. us.anthropic.claude-3-5-haiku-20241022-v1:0',
  ]);
  expect(problemsOf({ LLM_PROVIDER: 'openai' })[0]).toStartWith('LLM_PROVIDER: openai needs OPENAI_API_KEY');
  expect(problemsOf({ LLM_PROVIDER: 'anthropic' })[0]).toContain('(got "anthropic")');
});

test('EMBEDDINGS_PROVIDER=bedrock takes Titan v2 (256, 512, 1024) or Cohere v3 (1024)', () => {
  expect(loadConfig({ EMBEDDINGS_BASE_URL: 'http://e/v1' }).embeddings).toMatchObject({
    provider: 'openai',
    model: 'text-embedding-3-small',
  });
  expect(loadConfig({ EMBEDDINGS_PROVIDER: 'local', EMBEDDINGS_BASE_URL: 'http://e/v1' }).embeddings).toBeUndefined();
  expect(
    loadConfig({
      EMBEDDINGS_PROVIDER: 'bedrock',
      EMBEDDING_MODEL: 'amazon.titan-embed-text-v2:0',
      BEDROCK_REGION: 'us-west-2',
    }).embeddings,
  ).toEqual({
    provider: 'bedrock',
    model: 'amazon.titan-embed-text-v2:0',
    dimensions: 1024,
    region: 'us-west-2',
    endpoint: undefined,
  });
  expect(
    loadConfig({
      EMBEDDINGS_PROVIDER: 'bedrock',
      EMBEDDING_MODEL: 'amazon.titan-embed-text-v2:0',
      EMBEDDING_DIMENSIONS: '256',
    }).embeddings,
  ).toMatchObject({ dimensions: 256 });
  expect(
    loadConfig({ EMBEDDINGS_PROVIDER: 'bedrock', EMBEDDING_MODEL: 'cohere.embed-multilingual-v3' }).embeddings,
  ).toMatchObject({ model: 'cohere.embed-multilingual-v3', dimensions: 1024 });
});

test('bad Bedrock embedding and connection settings are each reported by name', () => {
  const supported = 'amazon.titan-embed-text-v2:0, cohere.embed-english-v3, cohere.embed-multilingual-v3';
  expect(problemsOf({ EMBEDDINGS_PROVIDER: 'bedrock' })).toEqual([
    `EMBEDDING_MODEL: must be one of ${supported} with EMBEDDINGS_PROVIDER=bedrock`,
  ]);
  expect(problemsOf({ EMBEDDINGS_PROVIDER: 'bedrock', EMBEDDING_MODEL: 'text-embedding-3-small' })).toEqual([
    `EMBEDDING_MODEL: must be one of ${supported} with EMBEDDINGS_PROVIDER=bedrock (got "text-embedding-3-small")`,
  ]);
  expect(
    problemsOf({
      EMBEDDINGS_PROVIDER: 'bedrock',
      EMBEDDING_MODEL: 'amazon.titan-embed-text-v2:0',
      EMBEDDING_DIMENSIONS: '768',
    }),
  ).toEqual(['EMBEDDING_DIMENSIONS: must be 256, 512, 1024 for amazon.titan-embed-text-v2:0 (got "768")']);
  expect(
    problemsOf({
      EMBEDDINGS_PROVIDER: 'bedrock',
      EMBEDDING_MODEL: 'cohere.embed-english-v3',
      EMBEDDING_DIMENSIONS: '512',
    }),
  ).toEqual(['EMBEDDING_DIMENSIONS: must be 1024 for cohere.embed-english-v3 (got "512")']);
  expect(problemsOf({ EMBEDDING_DIMENSIONS: '512' })).toEqual([
    'EMBEDDING_DIMENSIONS: applies only with EMBEDDINGS_PROVIDER=bedrock (got "512")',
  ]);
  const names = problemsOf({
    BEDROCK_REGION: 'Ireland',
    BEDROCK_ENDPOINT: 'ftp://x',
    EMBEDDINGS_PROVIDER: 'pinecone',
  }).map((p) => p.split(':')[0]);
  expect(names.sort()).toEqual(['BEDROCK_ENDPOINT', 'BEDROCK_REGION', 'EMBEDDINGS_PROVIDER']);
});

test('each phase of an answer has its own budget; LLM_TIMEOUT_MS still sets the model waits it used to', () => {
  expect(loadConfig({}).timeouts).toEqual({
    embeddingMs: 10_000,
    ingestEmbeddingMs: 120_000,
    searchMs: 10_000,
    rewriteMs: 5000,
    firstTokenMs: 60_000,
    silenceMs: 30_000,
    answerMs: 180_000,
  });
  // Set before the phase budgets existed: the waits for the model and an ingest request follow it.
  expect(loadConfig({ LLM_TIMEOUT_MS: '300000' }).timeouts).toMatchObject({
    embeddingMs: 10_000,
    ingestEmbeddingMs: 300_000,
    firstTokenMs: 300_000,
    silenceMs: 300_000,
    answerMs: 360_000,
  });
  expect(
    loadConfig({ LLM_TIMEOUT_MS: '300000', LLM_FIRST_TOKEN_TIMEOUT_MS: '20000', ANSWER_TIMEOUT_MS: '90000' }).timeouts,
  ).toMatchObject({ firstTokenMs: 20_000, silenceMs: 300_000, answerMs: 90_000 });
  expect(problemsOf({ ANSWER_TIMEOUT_MS: '30000' })).toEqual([
    'ANSWER_TIMEOUT_MS: must be longer than LLM_FIRST_TOKEN_TIMEOUT_MS (or LLM_TIMEOUT_MS): the answer would end before the model may start (got "30000")',
  ]);
  expect(problemsOf({ EMBEDDING_TIMEOUT_MS: '0' })[0]).toStartWith('EMBEDDING_TIMEOUT_MS:');
});

test('connection hygiene: defaults, a cap that 0 turns off, and an idle timeout Bun can take', () => {
  expect(loadConfig({}).connections).toEqual({
    idleTimeoutS: 30,
    requestTimeoutS: 60,
    uploadTimeoutS: 600,
    maxRequestsPerAddress: 100,
  });
  expect(loadConfig({ MAX_REQUESTS_PER_ADDRESS: '0' }).connections.maxRequestsPerAddress).toBe(0);
  expect(() => loadConfig({ IDLE_TIMEOUT_S: '0' })).toThrow('IDLE_TIMEOUT_S');
  expect(() => loadConfig({ IDLE_TIMEOUT_S: '300' })).toThrow('IDLE_TIMEOUT_S');
});

test('the stream cap can be set for a burst of a million answers, and no further', () => {
  expect(loadConfig({ MAX_STREAMS_PER_USER: '1000000' }).limits.streamsPerUser).toBe(1_000_000);
  expect(() => loadConfig({ MAX_STREAMS_PER_USER: '1000001' })).toThrow(/MAX_STREAMS_PER_USER/);
});

test('DEFAULT_LANGUAGE is one of the languages ragchat has; anything else is refused, by name', () => {
  expect(loadConfig({}).defaultLanguage).toBe('en');
  expect(loadConfig({ DEFAULT_LANGUAGE: ' ES ' }).defaultLanguage).toBe('es');
  expect(() => loadConfig({ DEFAULT_LANGUAGE: 'klingon' })).toThrow('DEFAULT_LANGUAGE: must be one of en, es');
});
