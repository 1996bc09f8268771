import { existsSync } from 'node:fs';
import type { AppDeps } from './deps.ts';

/**
 * On the first start (an empty index), ingest the sample corpus so the chat can answer at once.
 * A missing folder is not an error: the compiled binary may run without it.
 */
export async function seedIfEmpty(deps: AppDeps): Promise<void> {
  const dir = deps.config.seedDocsDir;
  if (!dir || (await deps.vectors.count()) > 0) return;
  if (!existsSync(dir)) {
    deps.logger.info('no documents yet; ingest some with `bun run ingest <folder>`', { seedDocsDir: dir });
    return;
  }
  const summary = await deps.ingestion.ingestPaths([dir]);
  deps.logger.info('ingested the sample documents', {
    folder: dir,
    documents: summary.documents,
    chunks: summary.chunks,
  });
}
