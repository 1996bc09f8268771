/**
 * Embedded retrieval at scale: the SQLite store's search latency at 1k, 10k and 100k chunks, keyword
 * only (the offline default) and hybrid with a 1,536-dimension vector side (an OpenAI-sized
 * embedder), plus the process's resident memory and the vector side's recall@10 against an exact
 * float32 scan.
 *
 *   bun run bench/retrieval-scale.ts [sizes...]        (default: 1000 10000 100000)
 *   taskset -c 1 bun run bench/retrieval-scale.ts      (one core, for numbers to compare)
 *   options: --queries=N (default 200), --all-collections (search as an admin, with no filter),
 *            --trigram-weight=W (the trigram index's share of the keyword score; 0 skips it)
 *
 * Each size is built and measured in a child process of its own (so the memory figure is that
 * size's alone), in a temporary DATA_DIR that is removed afterwards. Nothing is downloaded: the text
 * is drawn from a Zipf distribution over English stopwords and a seeded synthetic vocabulary (so
 * posting lists have a natural-language shape), questions are words sampled from one chunk, and the
 * vectors are unit vectors around 1,000 random cluster centres, a question's vector a noisy copy of
 * its chunk's (so each question has true near neighbours, as with a real embedder).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedChunk } from '../src/domain.ts';
import { percentile } from '../src/rag/evaluation.ts';
import { openSqliteDatabase } from '../src/stores/sqlite-database.ts';
import { SqliteVectorStore } from '../src/stores/sqlite-vector-store.ts';
import { prng as random } from '../test/support/prng.ts';

const DIMENSIONS = 1536;
const flag = (name: string) => Bun.argv.find((a) => a.startsWith(`--${name}`))?.split('=')[1];
const QUERIES = Number(flag('queries') ?? 200);
/** Search as an admin (no collection filter) instead of as a member who may read both collections. */
const ALL_COLLECTIONS = Bun.argv.includes('--all-collections');
/** The trigram index's share of the keyword score (the store's default 0.3; 0 skips that query). */
const TRIGRAM_WEIGHT = flag('trigram-weight') === undefined ? undefined : Number(flag('trigram-weight'));
const WARMUP = 20;
const RECALL_QUERIES = 20;
const TOP_K = 10;
const IDENTITY = { model: 'bench-synthetic-1536', dimensions: DIMENSIONS };

const STOPWORDS =
  'the of and to in a is that for with as was on by are be this from at an or which were not it have has been these we their its also between than using more'.split(
    ' ',
  );
const SYLLABLES =
  'ba be bi bo cal cor da de di do fer gen hy io ka la le li lo ma me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to tra tri ul va ve vi xo za'.split(
    ' ',
  );
const SUFFIXES = ['', '', '', 's', 'ed', 'ing', 'ion', 'ation', 'ic', 'al', 'ity', 'ase', 'in'];

function vocabulary(size: number, rand: () => number): string[] {
  const seen = new Set<string>(STOPWORDS);
  const out = [...STOPWORDS];
  while (out.length < size) {
    const syllables = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < syllables; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    w += SUFFIXES[Math.floor(rand() * SUFFIXES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  }
  return out;
}

/** Draws word ranks from Zipf(s = 1.05) by inverting its cumulative distribution. */
function zipf(size: number, rand: () => number): () => number {
  const cdf = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) {
    total += 1 / (r + 1) ** 1.05;
    cdf[r] = total;
  }
  return () => {
    const x = rand() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / n;
  return v;
}

/** `base` plus Gaussian noise whose norm is about `noise`, made unit-length. */
function around(base: Float32Array, noise: number, rand: () => number): Float32Array {
  const v = new Float32Array(DIMENSIONS);
  const sigma = noise / Math.sqrt(DIMENSIONS);
  for (let d = 0; d < DIMENSIONS; d++) v[d] = (base[d] as number) + sigma * gaussian(rand);
  return unit(v);
}

interface Question {
  text: string;
  vector: Float32Array;
}

interface SizeResult {
  chunks: number;
  buildSeconds: number;
  keyword: number[];
  hybrid: number[];
  vectorOnly: number[];
  rssMiB: number;
  recallAt10: number;
}

async function measure(size: number): Promise<SizeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-bench-scale-'));
  try {
    const db = openSqliteDatabase(join(dataDir, 'ragchat.sqlite'));
    const rand = random(size);
    const words = vocabulary(50_000, rand);
    const rank = zipf(words.length, rand);
    const centres = Array.from({ length: 1000 }, () => {
      const c = new Float32Array(DIMENSIONS);
      for (let d = 0; d < DIMENSIONS; d++) c[d] = gaussian(rand);
      return unit(c);
    });
    const writer = new SqliteVectorStore(db);
    await writer.open(IDENTITY);
    const questions: Question[] = [];
    const questionEvery = Math.max(1, Math.floor(size / (QUERIES + WARMUP)));
    const started = performance.now();
    const BATCH = 500;
    for (let start = 0; start < size; start += BATCH) {
      const batch: EmbeddedChunk[] = [];
      for (let i = start; i < Math.min(size, start + BATCH); i++) {
        const length = 120 + Math.floor(rand() * 260);
        const body = Array.from({ length }, () => words[rank()]);
        const vector = around(centres[Math.floor(rand() * centres.length)] as Float32Array, 1.2, rand);
        batch.push({
          id: `chunk-${i}`,
          documentId: `doc-${Math.floor(i / 4)}`,
          source: `doc-${Math.floor(i / 4)}.md`,
          title: body.slice(0, 6).join(' '),
          location: '',
          index: i % 4,
          text: body.join(' '),
          contentHash: 'h',
          collection: i % 10 === 0 ? 'hr' : 'general',
          vector,
        });
        if (i % questionEvery === 0 && questions.length < QUERIES + WARMUP) {
          const picked = Array.from({ length: 4 + Math.floor(rand() * 6) }, () => body[Math.floor(rand() * length)]);
          questions.push({ text: picked.join(' '), vector: around(vector, 0.8, rand) });
        }
      }
      await writer.upsert(batch);
    }
    const buildSeconds = (performance.now() - started) / 1000;

    const time = async (store: SqliteVectorStore) => {
      const out: number[] = [];
      for (const [i, q] of questions.entries()) {
        const t = performance.now();
        const collections = ALL_COLLECTIONS ? undefined : ['general', 'hr'];
        await store.search({ text: q.text, vector: q.vector, topK: TOP_K, collections });
        if (i >= WARMUP) out.push(performance.now() - t);
      }
      return out;
    };
    const stores = {
      keyword: new SqliteVectorStore(db, { vectorWeight: 0, trigramWeight: TRIGRAM_WEIGHT }),
      hybrid: new SqliteVectorStore(db, { trigramWeight: TRIGRAM_WEIGHT }),
      vectorOnly: new SqliteVectorStore(db, { keywordWeight: 0 }),
    };
    for (const s of Object.values(stores)) await s.open(IDENTITY);
    const keyword = await time(stores.keyword);
    const hybrid = await time(stores.hybrid);
    const vectorOnly = await time(stores.vectorOnly);
    Bun.gc(true);
    const rssMiB = process.memoryUsage().rss / 2 ** 20;
    const recallAt10 = await recall(db, stores.vectorOnly, questions.slice(0, RECALL_QUERIES));
    db.close();
    return { chunks: size, buildSeconds, keyword, hybrid, vectorOnly, rssMiB, recallAt10 };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The vector side's top 10 against an exact float32 scan of the stored vectors, read one by one. */
async function recall(
  db: ReturnType<typeof openSqliteDatabase>,
  store: SqliteVectorStore,
  questions: Question[],
): Promise<number> {
  const best = questions.map(() => [] as { id: string; score: number }[]);
  for (const row of db.query<{ id: string; vector: Uint8Array }, []>('SELECT id, vector FROM chunks').iterate()) {
    const v = new Float32Array(row.vector.buffer, row.vector.byteOffset, DIMENSIONS);
    questions.forEach((q, qi) => {
      let s = 0;
      for (let d = 0; d < DIMENSIONS; d++) s += (v[d] as number) * (q.vector[d] as number);
      const list = best[qi] as { id: string; score: number }[];
      if (list.length < TOP_K || s > (list[list.length - 1] as { score: number }).score) {
        list.push({ id: row.id, score: s });
        list.sort((a, b) => b.score - a.score);
        if (list.length > TOP_K) list.pop();
      }
    });
  }
  let found = 0;
  for (const [qi, q] of questions.entries()) {
    const got = new Set((await store.search({ text: q.text, vector: q.vector, topK: TOP_K })).map((r) => r.id));
    found += (best[qi] as { id: string }[]).filter((e) => got.has(e.id)).length;
  }
  return found / (questions.length * TOP_K);
}

const ms = (xs: number[], p: number) => percentile(xs, p).toFixed(1);

const one = flag('one');
if (one) {
  console.log(JSON.stringify(await measure(Number(one))));
} else {
  const sizes = Bun.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map(Number);
  const passOn = Bun.argv.slice(2).filter((a) => a.startsWith('--'));
  console.log(
    `Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; ${QUERIES} questions per size, top ${TOP_K}, ` +
      `${DIMENSIONS}-dim vectors, searched as ${ALL_COLLECTIONS ? 'an admin (no collection filter)' : 'a member of both collections'}` +
      `${TRIGRAM_WEIGHT === undefined ? '' : `, trigram weight ${TRIGRAM_WEIGHT}`}\n`,
  );
  console.log(
    '| chunks  | keyword p50 / p95 | hybrid p50 / p95 | vector only p50 / p95 | recall@10 | RSS     | build  |',
  );
  console.log(
    '| ------- | ----------------- | ---------------- | --------------------- | --------- | ------- | ------ |',
  );
  for (const size of sizes.length ? sizes : [1000, 10_000, 100_000]) {
    const child = Bun.spawnSync([process.execPath, import.meta.path, `--one=${size}`, ...passOn], {
      stdout: 'pipe',
      stderr: 'inherit',
    });
    if (child.exitCode !== 0) throw new Error(`size ${size} failed (exit ${child.exitCode})`);
    const r = JSON.parse(child.stdout.toString().trim().split('\n').pop() as string) as SizeResult;
    console.log(
      `| ${r.chunks.toLocaleString('en').padEnd(7)} | ${`${ms(r.keyword, 50)} / ${ms(r.keyword, 95)} ms`.padEnd(17)} | ` +
        `${`${ms(r.hybrid, 50)} / ${ms(r.hybrid, 95)} ms`.padEnd(16)} | ${`${ms(r.vectorOnly, 50)} / ${ms(r.vectorOnly, 95)} ms`.padEnd(21)} | ` +
        `${r.recallAt10.toFixed(3).padEnd(9)} | ${`${r.rssMiB.toFixed(0)} MiB`.padEnd(7)} | ${`${r.buildSeconds.toFixed(0)} s`.padEnd(6)} |`,
    );
  }
}
