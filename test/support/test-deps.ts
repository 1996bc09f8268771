import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.tsx';
import { type Config, loadConfig } from '../../src/config.ts';
import type { AppDeps, DepsOverrides } from '../../src/deps.ts';
import { silentLogger } from '../../src/logger.ts';
import { OfflineLlmClient } from '../../src/providers/offline-llm-client.ts';
import { openDeps, type StartUpOptions } from '../../src/startup.ts';

export const SAMPLE_DOCS = join(import.meta.dir, '..', '..', 'ingest', 'sample-docs');
export const ASSETS_DIR = join(import.meta.dir, '..', '..', 'assets');

export interface TestApp {
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  config: Config;
  dataDir: string;
  /** `app.handle` with a path: tests never need a port for plain HTTP checks. */
  request(path: string, init?: RequestInit): Promise<Response>;
  cleanup(): Promise<void>;
}

/**
 * A real app over a fresh data folder: real SQLite, real ingestion of the sample corpus, the real
 * offline answerer (fast unless a test asks for pacing). Only what a test overrides is swapped.
 */
export async function makeTestApp(
  options: {
    env?: Record<string, string>;
    overrides?: DepsOverrides;
    startUp?: StartUpOptions;
    seed?: boolean;
    wordDelayMs?: number;
  } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, SEED_DOCS_DIR: 'off', ...options.env });
  const deps = await openDeps(
    config,
    {
      logger: silentLogger,
      // A test that names a provider gets the one the config builds; the others, the offline answerer.
      ...(options.env?.LLM_PROVIDER ? {} : { llm: new OfflineLlmClient({ wordDelayMs: options.wordDelayMs ?? 0 }) }),
      ...options.overrides,
    },
    options.startUp,
  );
  if (options.seed !== false) await deps.ingestion.ingestPaths([SAMPLE_DOCS]);
  const app = createApp(deps, { assetsDir: ASSETS_DIR });
  // The static plugin registers its routes asynchronously; `app.handle` needs them in place.
  await app.modules;
  return {
    deps,
    app,
    config,
    dataDir,
    request: (path, init) => app.handle(new Request(`http://localhost${path}`, init)),
    cleanup: async () => {
      await deps.chat.shutdown(0);
      await deps.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export interface ParsedEvent {
  event: string;
  data: string;
  /** Milliseconds since the request started, when the event was read. */
  at: number;
}

/** Reads an SSE response as the browser's parser would, timing each event as it arrives. */
export async function* readEvents(response: Response, started = performance.now()): AsyncGenerator<ParsedEvent> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0 || event)
          yield { event: event || 'message', data: data.join('\n'), at: performance.now() - started };
        event = '';
        data = [];
      } else if (line.startsWith(':')) {
      } else if (line.startsWith('event:')) {
        event = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }
}
