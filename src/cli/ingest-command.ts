import { parseArgs } from 'node:util';
import type { AppDeps } from '../deps.ts';
import { COLLECTION_ID } from '../domain.ts';
import type { IngestProgress } from '../rag/ingestion.ts';
import { openDepsOrReport } from '../startup.ts';
import { parseOrExplain } from './command-args.ts';

const USAGE = `Usage: bun run ingest [--collection <id>] [--prune] [--reindex] <folder, file or s3://bucket/prefix>...
       bun run ingest --check | --repair
       (with the compiled binary: ragchat ingest ...)

Reads .md, .txt, .html, .pdf and .docx files (folders and S3 prefixes recursively) into ragchat's index.
  --collection  the collection the documents belong to (default "general"); with accounts on,
              only users granted it (and admins) can get answers from them
  --prune     remove documents from these sources that are no longer there
  --reindex   drop the whole index, ingest the sources named, then rebuild every other
              document (uploads too) from its stored original
              (needed after changing the embedding model)
  --check     report chunks (vectors, keyword entries) and originals that no document owns
  --repair    the same, and remove them
Settings come from the same environment variables as the server (DATA_DIR, DATABASE_URL, QDRANT_URL, ...).`;

/**
 * The ingest command: `bun run ingest ...` in a checkout, `ragchat ingest ...` with the compiled
 * binary (so a container can run it as a one-off task). Returns the exit code.
 */
export async function runIngestCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const args = parseOrExplain(() => parse(argv), USAGE);
  if (!args) return 2;
  const { help, check, repair, prune, reindex, collection } = args.values;
  if (help) {
    console.log(USAGE);
    return 0;
  }
  if ((check || repair) && args.positionals.length > 0) {
    console.error(`--check and --repair look at the whole index; name no sources with them.\n\n${USAGE}`);
    return 2;
  }
  if (collection !== undefined && !COLLECTION_ID.test(collection)) {
    console.error(`--collection takes an id of lower-case letters, digits and dashes, like "engineering".\n\n${USAGE}`);
    return 2;
  }
  if (!check && !repair && !reindex && args.positionals.length === 0) {
    console.error(`Name at least one folder, file or s3://bucket/prefix.\n\n${USAGE}`);
    return 2;
  }

  const deps = await openDepsOrReport(env, {}, { resetIndex: reindex });
  if (!deps) return 1;
  try {
    if (check || repair) return await audit(deps, Boolean(repair));
    if (collection && !(await deps.auth.listCollections()).some((c) => c.id === collection)) {
      // Created here, so that a team's folder can be ingested into its own collection in one step.
      await deps.auth.createCollection(null, { id: collection, name: collection });
      console.log(`Created the collection "${collection}"; grant it to users on the admin page.`);
    }
    let code = args.positionals.length > 0 ? await ingest(deps, args.positionals, Boolean(prune), collection) : 0;
    if (reindex) code = Math.max(code, await rebuildPending(deps));
    return code;
  } catch (error) {
    console.error(`Ingestion failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await deps.close();
  }
}

async function ingest(deps: AppDeps, sources: string[], prune: boolean, collection?: string): Promise<number> {
  const tty = process.stdout.isTTY;
  const onProgress = (p: IngestProgress) => {
    const line = `[${p.done}/${p.total}] ${p.outcome.padEnd(9)} ${p.key}`;
    if (tty) process.stdout.write(`\r\x1b[K${line}`);
    else console.log(line);
  };
  // A large document shows its chunks as they are written (on a terminal).
  const onChunks = tty
    ? (key: string, written: number) => process.stdout.write(`\r\x1b[K… ${key}: ${written} chunks written`)
    : undefined;
  const s = await deps.ingestion.ingestPaths(sources, { prune, onProgress, onChunks, collection });
  if (tty) process.stdout.write('\n');
  for (const f of s.failed) console.error(`failed: ${f.key}: ${f.message}`);
  console.log(
    `${s.documents} documents: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ` +
      `${s.empty} without text, ${s.removed} removed, ${s.failed.length} failed; ${s.chunks} chunks; ${s.seconds.toFixed(2)} s`,
  );
  if (s.failed.length > 0) {
    console.error('Run the same command again to finish: documents already done are skipped.');
    return 1;
  }
  return 0;
}

/** After --reindex: every other document (uploads, earlier sources) rebuilt from its original. */
async function rebuildPending(deps: AppDeps): Promise<number> {
  const s = await deps.ingestion.reingestPending();
  if (s.documents === 0) return 0;
  for (const f of s.failed) console.error(`failed: ${f.key}: ${f.message}`);
  console.log(
    `${s.documents} more documents rebuilt from their originals: ${s.updated} done, ${s.failed.length} failed; ${s.chunks} chunks`,
  );
  return s.failed.length > 0 ? 1 : 0;
}

async function audit(deps: AppDeps, repair: boolean): Promise<number> {
  const a = await deps.ingestion.audit({ repair });
  const verb = repair ? 'removed' : 'found';
  for (const o of a.orphanDocuments)
    console.log(`${verb}: ${o.chunks} chunks of document ${o.id}, which is not in the catalog`);
  for (const key of a.orphanOriginals) console.log(`${verb}: original ${key}, which no document owns`);
  if (a.danglingKeywordEntries > 0)
    console.log(`${verb}: ${a.danglingKeywordEntries} keyword entries that belong to no chunk`);
  for (const m of a.missingChunks) {
    console.log(`incomplete: ${m.source} should have ${m.expected} chunks, the index has ${m.found} (re-ingest it)`);
  }
  const strays = a.orphanDocuments.length + a.orphanOriginals.length + (a.danglingKeywordEntries > 0 ? 1 : 0);
  if (strays === 0 && a.missingChunks.length === 0) {
    console.log('The index is consistent: every chunk and original belongs to a document.');
    return 0;
  }
  if (!repair && strays > 0) console.log('Run `bun run ingest --repair` to remove them.');
  return repair && a.missingChunks.length === 0 ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      prune: { type: 'boolean', default: false },
      collection: { type: 'string' },
      reindex: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      repair: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
