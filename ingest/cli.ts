import { parseArgs } from 'node:util';
import type { IngestProgress } from '../src/rag/ingestion.ts';
import { openDepsOrExit } from '../src/startup.ts';

const USAGE = `Usage: bun run ingest [--prune] [--reindex] <folder or file>...

Reads .md and .txt files (folders recursively) into ragchat's index.
  --prune     remove documents from these folders that are no longer on disk
  --reindex   drop the whole index first and ingest everything again
              (needed after changing the embedding model)
Settings come from the same environment variables as the server (DATA_DIR, EMBEDDINGS_BASE_URL, ...).`;

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.positionals.length === 0) {
    console.error(`Name at least one folder or file.\n\n${USAGE}`);
    return 2;
  }

  const deps = await openDepsOrExit(process.env, { resetIndex: args.values.reindex });
  const tty = process.stdout.isTTY;
  const onProgress = (p: IngestProgress) => {
    const line = `[${p.done}/${p.total}] ${p.outcome.padEnd(9)} ${p.key}`;
    if (tty) process.stdout.write(`\r\x1b[K${line}`);
    else console.log(line);
  };
  try {
    const s = await deps.ingestion.ingestPaths(args.positionals, { prune: args.values.prune, onProgress });
    if (tty) process.stdout.write('\n');
    console.log(
      `${s.documents} documents: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ` +
        `${s.empty} without text, ${s.removed} removed; ${s.chunks} chunks; ${s.seconds.toFixed(2)} s`,
    );
    return 0;
  } catch (error) {
    if (tty) process.stdout.write('\n');
    console.error(`Ingestion failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await deps.close();
  }
}

function parse() {
  return parseArgs({
    args: Bun.argv.slice(2),
    allowPositionals: true,
    options: {
      prune: { type: 'boolean', default: false },
      reindex: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

process.exit(await main());
