import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { buildDeps } from '../deps.ts';
import { createLogger } from '../logger.ts';
import { evaluate, readBeir } from '../rag/evaluation.ts';
import { stableId } from '../rag/ingestion.ts';
import { Retriever } from '../rag/retriever.ts';

const USAGE = `Usage: bun run eval <BEIR dataset folder> [--json FILE] [--split test]

Ingests corpus.jsonl into a fresh store of the configured kind (embedded SQLite by default; a new
collection when QDRANT_URL is set), runs every judged query of qrels/<split>.tsv through the chat's
retriever, and prints nDCG@10, recall@10, recall@100, MRR@10 and query latency p50/p95.`;

/** `bun run eval <dir>` / `ragchat eval <dir>`. Returns the exit code. */
export async function runEvalCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [dir] = args.positionals;
  if (args.values.help || !dir) {
    console.error(USAGE);
    return args.values.help ? 0 : 2;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'ragchat-eval-'));
  let config: ReturnType<typeof loadConfig>;
  try {
    // A fresh store: a scratch data folder (and collection), never the user's index or history.
    config = loadConfig({
      ...env,
      DATA_DIR: scratch,
      SEED_DOCS_DIR: 'off',
      DATABASE_URL: '',
      DOCS_BUCKET: '',
      QDRANT_COLLECTION: `ragchat_eval_${crypto.randomUUID().slice(0, 8)}`,
    });
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : String(error));
    return 1;
  }
  const deps = await buildDeps(config, { logger: createLogger('warn', (l) => console.error(l)) });
  const tty = process.stderr.isTTY;
  const progress = (label: string) => (done: number, total: number) => {
    if (tty && (done === total || done % 50 === 0)) process.stderr.write(`\r\x1b[K${label} ${done}/${total}`);
  };
  const ingestProgress = progress('ingest');
  try {
    const dataset = await readBeir(dir, args.values.split);
    const started = performance.now();
    const corpusIds = new Map<string, string>();
    const docs = dataset.corpus.map((d) => {
      const key = `corpus/${d.id}.md`;
      corpusIds.set(stableId(key), d.id);
      const title = d.title.trim() || `Document ${d.id}`;
      return { key, bytes: new TextEncoder().encode(`# ${title.replace(/\n/g, ' ')}\n\n${d.text}\n`) };
    });
    const ingested = await deps.ingestion.ingestMany(docs, { onProgress: (p) => ingestProgress(p.done, p.total) });
    if (tty) process.stderr.write('\n');
    const ingestSeconds = (performance.now() - started) / 1000;
    console.error(
      `ingested ${dataset.corpus.length} documents (${ingested.chunks} chunks) in ${ingestSeconds.toFixed(1)} s ` +
        `(${(dataset.corpus.length / ingestSeconds).toFixed(0)} documents/s); ${ingested.failed.length} failed`,
    );
    const retriever = new Retriever(deps.embedder, deps.vectors, deps.reranker);
    const result = await evaluate(dataset, retriever, (id) => corpusIds.get(id), { onProgress: progress('query') });
    if (tty) process.stderr.write('\n');
    console.log(
      [
        `queries       ${result.queries}`,
        `nDCG@10       ${result.ndcg_at_10.toFixed(4)}`,
        `recall@10     ${result.recall_at_10.toFixed(4)}`,
        `recall@100    ${result.recall_at_100.toFixed(4)}`,
        `MRR@10        ${result.mrr_at_10.toFixed(4)}`,
        `latency p50   ${result.latency_ms_p50.toFixed(2)} ms`,
        `latency p95   ${result.latency_ms_p95.toFixed(2)} ms`,
      ].join('\n'),
    );
    if (args.values.json) await Bun.write(args.values.json, `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    console.error(`Evaluation failed: ${(error as Error).message}`);
    return 1;
  } finally {
    if (config.qdrant) await deps.vectors.reset().catch(() => {});
    await deps.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'string' },
      split: { type: 'string', default: 'test' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
