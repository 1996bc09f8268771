import { existsSync } from 'node:fs';
import { DEFAULT_SEED_DOCS_DIR } from './config.ts';
import type { AppDeps } from './deps.ts';
import { shippedPath } from './shipped-files.ts';

/**
 * On the first start (an empty index), ingest the sample corpus so the chat can answer at once.
 * A missing folder is not an error: a folder named in SEED_DOCS_DIR may not be mounted yet.
 */
export async function seedIfEmpty(deps: AppDeps): Promise<void> {
  const configured = deps.config.seedDocsDir;
  if (!configured || (await deps.vectors.count()) > 0) return;
  const dir = seedFolder(configured);
  if (!dir) {
    deps.logger.info('no documents yet; ingest some with `bun run ingest <folder>`', { seedDocsDir: configured });
    return;
  }
  const summary = await deps.ingestion.ingestPaths([dir]);
  deps.logger.info('ingested the sample documents', {
    folder: dir,
    documents: summary.documents,
    chunks: summary.chunks,
  });
}

/**
 * The folder to seed from. The default names the checkout's copy, relative to the working
 * directory; where that does not exist (the compiled binary started anywhere), the shipped copy
 * (embedded in the binary) stands in. A folder set explicitly is never swapped for the samples.
 */
export function seedFolder(configured: string): string | null {
  if (existsSync(configured)) return configured;
  if (configured !== DEFAULT_SEED_DOCS_DIR) return null;
  const shipped = shippedPath('ingest/sample-docs');
  return existsSync(shipped) ? shipped : null;
}
