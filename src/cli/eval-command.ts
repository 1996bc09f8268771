import { parseArgs } from 'node:util';
import { evaluate, readBeir } from '../rag/evaluation.ts';
import { stableId } from '../rag/ingestion.ts';
import { Retriever } from '../rag/retriever.ts';
import { parseOrExplain } from './command-args.ts';
import { evaluateInScratch, progressLine } from './scratch-deps.ts';

const USAGE = `Usage: bun run eval <BEIR dataset folder> [--json FILE] [--split test]

Ingests corpus.jsonl into a fresh store of the configured kind (embedded SQLite by default; a new
collection when QDRANT_URL is set), runs every judged query of qrels/<split>.tsv through the chat's
retriever, and prints nDCG@10, recall@10, recall@100, MRR@10 and query latency p50/p95.`;

/** `bun run eval <dir>` / `ragchat eval <dir>`. Returns the exit code. */
export async function runEvalCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const args = parseOrExplain(() => parse(argv), USAGE);
  if (!args) return 2;
  const [dir] = args.positionals;
  if (args.values.help || !dir) {
    console.error(USAGE);
    return args.values.help ? 0 : 2;
  }
  const ingestProgress = progressLine('ingest');
  return evaluateInScratch(env, 'eval', args.values.json, async (deps) => {
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
    const ingestSeconds = (performance.now() - started) / 1000;
    console.error(
      `ingested ${dataset.corpus.length} documents (${ingested.chunks} chunks) in ${ingestSeconds.toFixed(1)} s ` +
        `(${(dataset.corpus.length / ingestSeconds).toFixed(0)} documents/s); ${ingested.failed.length} failed`,
    );
    const retriever = new Retriever(deps.embedder, deps.vectors, deps.reranker);
    const result = await evaluate(dataset, retriever, (id) => corpusIds.get(id), { onProgress: progressLine('query') });
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
    return result;
  });
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
