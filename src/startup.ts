import { ConfigError, loadConfig } from './config.ts';
import { type AppDeps, buildDeps, type DepsOverrides } from './deps.ts';
import { AppError } from './errors.ts';

/**
 * For entry points (the server, the ingest command): read the configuration and open the
 * backends, or print one plain message (every bad variable, or the backend that failed and why)
 * and exit 1. Never a stack trace for a setup mistake.
 */
export async function openDepsOrExit(
  env: Record<string, string | undefined>,
  overrides: DepsOverrides = {},
): Promise<AppDeps> {
  try {
    return await buildDeps(loadConfig(env), overrides);
  } catch (error) {
    console.error(startupFailure(error));
    process.exit(1);
  }
}

function startupFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof AppError) return error.message;
  return `Could not start: ${error instanceof Error ? error.message : String(error)}`;
}
