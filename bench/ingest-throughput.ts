/**
 * Ingestion throughput on the SciFact corpus (5,183 abstracts), in documents per second:
 * - the embedded default (local embedder, SQLite);
 * - an OpenAI-compatible embedding server with 50 ms of latency per request (the stand-in the
 *   tests use, on loopback), at the default concurrency and at a higher one.
 *
 *   bun run bench/ingest-throughput.ts [path to a BEIR dataset]   (default ./eval-data/scifact, then
 *                                                                  ../shared/eval-data/scifact/beir)
 * SciFact is not in the repository (CC BY-NC); the README says where to get it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/logger.ts';
import { readBeir } from '../src/rag/evaluation.ts';
import { openDeps } from '../src/startup.ts';
import { OpenAiStandIn } from '../test/support/openai-stand-in.ts';

const candidates = [
  join(import.meta.dir, '..', 'eval-data', 'scifact'),
  join(import.meta.dir, '..', '..', 'shared', 'eval-data', 'scifact', 'beir'),
];
const dir = Bun.argv[2] ?? candidates.find((c) => existsSync(join(c, 'corpus.jsonl')));
if (!dir) {
  console.error('No SciFact here: download it as the README says ("Retrieval quality, measured"), or pass its folder.');
  process.exit(2);
}
const dataset = await readBeir(dir);
const docs = dataset.corpus.map((d) => ({
  key: `corpus/${d.id}.md`,
  bytes: new TextEncoder().encode(`# ${d.title}\n\n${d.text}\n`),
}));

async function run(name: string, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-bench-ingest-'));
  const deps = await openDeps(loadConfig({ DATA_DIR: dataDir, ...env }), { logger: silentLogger });
  const started = performance.now();
  const summary = await deps.ingestion.ingestMany(docs);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${name.padEnd(52)} ${String(summary.documents).padStart(5)} docs ${String(summary.chunks).padStart(5)} chunks ` +
      `${seconds.toFixed(1).padStart(6)} s ${(summary.documents / seconds).toFixed(0).padStart(5)} docs/s` +
      (summary.failed.length ? `  (${summary.failed.length} failed)` : ''),
  );
  await deps.close();
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores, ${docs.length} documents\n`);
await run('embedded default (local embedder, SQLite)', {});
const standIn = new OpenAiStandIn(384).start();
standIn.script = { tokens: [], embedDelayMs: 50 };
for (const concurrency of ['16', '64']) {
  await run(`OpenAI-compatible stand-in, 50 ms/request, concurrency ${concurrency}`, {
    EMBEDDINGS_BASE_URL: standIn.url,
    EMBEDDING_MODEL: 'bench-embed',
    INGEST_CONCURRENCY: concurrency,
  });
}
await standIn.stop();
