import { LOCAL_USER } from './auth/auth-service.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { type AppDeps, buildDeps, type DepsOverrides } from './deps.ts';
import { AppError } from './errors.ts';
import { REINDEX_PENDING } from './rag/ingestion.ts';

export interface StartUpOptions {
  /**
   * Drop the whole index (chunks, vectors, keyword entries) before opening it, and mark every
   * document pending: `ingest --reindex`, which then rebuilds them from their originals.
   */
  resetIndex?: boolean;
}

/**
 * The start-up step, after `buildDeps` and before anything is served or ingested: the databases'
 * migrations, the destructive index reset when asked for, the index opened for this embedder (a
 * different one is refused by name), and the accounts' first admin or the one local user.
 */
export async function startUp(deps: AppDeps, options: StartUpOptions = {}): Promise<void> {
  await deps.backends.migrate();
  if (options.resetIndex) {
    // Drop the vectors and keyword entries, but keep every document, marked pending: the ingest
    // command rebuilds them from their originals (Ingestion.reingestPending), uploads included.
    await deps.vectors.reset();
    for (const doc of await deps.catalog.list())
      await deps.catalog.upsert({ ...doc, contentHash: REINDEX_PENDING, chunkCount: 0 });
  }
  await deps.vectors.open({ model: deps.embedder.model, dimensions: await deps.embedder.dimensions() });
  await deps.backends.claimEmbeddedIndex?.(Boolean(options.resetIndex));
  // Without accounts, everything belongs to the one local user; with them, the first admin may
  // come from ADMIN_EMAIL/ADMIN_PASSWORD.
  if (deps.auth.enabled) await deps.auth.bootstrapAdmin(deps.config.auth.bootstrapAdmin);
  else await deps.repo.ensureUser(LOCAL_USER);
}

/** `buildDeps` then `startUp`; whatever was opened is closed again when the start-up fails. */
export async function openDeps(
  config: Config,
  overrides: DepsOverrides = {},
  options: StartUpOptions = {},
): Promise<AppDeps> {
  const deps = await buildDeps(config, overrides);
  try {
    await startUp(deps, options);
    return deps;
  } catch (error) {
    await deps.close().catch(() => {});
    throw error;
  }
}

/**
 * Every command's first step: the configuration, or null once the sentence that says what is
 * wrong with it (every bad variable, by name) has been printed; the command then exits 1.
 */
export function configOrReport(env: Record<string, string | undefined>): Config | null {
  try {
    return loadConfig(env);
  } catch (error) {
    console.error(startupFailure(error));
    return null;
  }
}

/**
 * For entry points (the server, the ingest command): the configuration read, the backends built
 * and started, or null once one plain message has been printed (every bad variable, or the
 * backend that failed and why). Never a stack trace for a setup mistake.
 */
export async function openDepsOrReport(
  env: Record<string, string | undefined>,
  overrides: DepsOverrides = {},
  options: StartUpOptions = {},
): Promise<AppDeps | null> {
  const config = configOrReport(env);
  if (!config) return null;
  try {
    return await openDeps(config, overrides, options);
  } catch (error) {
    console.error(startupFailure(error));
    return null;
  }
}

export function startupFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof AppError) return error.message;
  return `Could not start: ${error instanceof Error ? error.message : String(error)}`;
}
