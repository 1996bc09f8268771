import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { AppDeps, DepsOverrides } from '../deps.ts';
import { createLogger } from '../logger.ts';
import { configOrReport, openDeps } from '../startup.ts';

export interface ScratchDeps {
  deps: AppDeps;
  config: Config;
  /** Drops the scratch store (and its Qdrant collection) and closes everything. */
  close(): Promise<void>;
}

/**
 * Deps over a fresh store of the configured kind, for the evaluation commands: a scratch data
 * folder (and Qdrant collection), never the user's index or history; the providers (embedder,
 * model) are the configured ones. Null, once the configuration's mistakes are printed, when it is invalid.
 */
export async function openScratchDeps(
  env: Record<string, string | undefined>,
  prefix: string,
  overrides: (config: Config) => DepsOverrides = () => ({}),
): Promise<ScratchDeps | null> {
  const scratch = mkdtempSync(join(tmpdir(), `ragchat-${prefix}-`));
  const config = configOrReport({
    ...env,
    DATA_DIR: scratch,
    SEED_DOCS_DIR: 'off',
    DATABASE_URL: '',
    DOCS_BUCKET: '',
    QDRANT_COLLECTION: `ragchat_${prefix.replace(/\W/g, '_')}_${crypto.randomUUID().slice(0, 8)}`,
  });
  if (!config) {
    rmSync(scratch, { recursive: true, force: true });
    return null;
  }
  const deps = await openDeps(config, {
    logger: createLogger('warn', (l) => console.error(l)),
    ...overrides(config),
  });
  return {
    deps,
    config,
    close: async () => {
      if (config.qdrant) await deps.vectors.reset().catch(() => {});
      await deps.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * An evaluation command's body over scratch deps: `run` prints its figures and returns the result,
 * written to `jsonPath` when one is given. Returns the exit code (1 when anything fails).
 */
export async function evaluateInScratch(
  env: Record<string, string | undefined>,
  prefix: string,
  jsonPath: string | undefined,
  run: (deps: AppDeps) => Promise<unknown>,
  overrides?: (config: Config) => DepsOverrides,
): Promise<number> {
  const scratch = await openScratchDeps(env, prefix, overrides);
  if (!scratch) return 1;
  try {
    const result = await run(scratch.deps);
    if (jsonPath) await Bun.write(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    console.error(`Evaluation failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await scratch.close();
  }
}

/** A `label done/total` line rewritten in place on a terminal; nothing when stderr is a file. */
export function progressLine(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  return (done, total) => {
    if (tty && (done === total || done % 50 === 0)) process.stderr.write(`\r\x1b[K${label} ${done}/${total}`);
    if (tty && done === total) process.stderr.write('\n');
  };
}
