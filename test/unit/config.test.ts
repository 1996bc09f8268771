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
