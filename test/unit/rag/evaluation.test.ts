import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mrrAt, ndcgAt, percentile, readBeir, recallAt } from '../../../src/rag/evaluation.ts';

const TINY = join(import.meta.dir, '..', '..', 'fixtures', 'eval-tiny');
const ROOT = join(import.meta.dir, '..', '..', '..');

test('metrics match hand-computed values', () => {
  const rel = new Map([
    ['a', 2],
    ['b', 1],
  ]);
  // DCG = 1/log2(3) [b at 2] + 2/log2(4) [a at 3]; IDCG = 2/1 + 1/log2(3).
  const expected = (1 / Math.log2(3) + 2 / 2) / (2 + 1 / Math.log2(3));
  expect(ndcgAt(['x', 'b', 'a'], rel, 10)).toBeCloseTo(expected, 10);
  expect(ndcgAt(['a', 'b'], rel, 10)).toBe(1);
  expect(ndcgAt(['x'], rel, 10)).toBe(0);
  expect(recallAt(['x', 'b', 'a'], rel, 2)).toBe(0.5);
  expect(recallAt(['x', 'b', 'a'], rel, 100)).toBe(1);
  expect(mrrAt(['x', 'y', 'b'], rel, 10)).toBeCloseTo(1 / 3, 10);
  expect(mrrAt(['x'], rel, 10)).toBe(0);
  expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
  expect(percentile([1, 2, 3, 4, 100], 95)).toBe(100);
});

test('reads the BEIR layout: corpus, queries, qrels with their header and grades', async () => {
  const d = await readBeir(TINY);
  expect(d.corpus.length).toBe(6);
  expect(d.queries.size).toBe(4);
  expect([...d.qrels.keys()]).toEqual(['q1', 'q2', 'q3']);
  expect(d.qrels.get('q3')).toEqual(
    new Map([
      ['d3', 2],
      ['d5', 1],
    ]),
  );
});

test('bun run eval ingests into a fresh store, runs the judged queries and writes the metrics', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ragchat-eval-out-')), 'metrics.json');
  try {
    const proc = Bun.spawn([process.execPath, 'run', 'src/main.ts', 'eval', TINY, '--json', out], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: '/nonexistent/never-used', QDRANT_URL: '', DATABASE_URL: '' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    expect(await proc.exited).toBe(0);
    const printed = await new Response(proc.stdout).text();
    expect(printed).toMatch(/nDCG@10\s+\d\.\d{4}/);
    const metrics = await Bun.file(out).json();
    expect(Object.keys(metrics).sort()).toEqual(
      [
        'latency_ms_p50',
        'latency_ms_p95',
        'mrr_at_10',
        'ndcg_at_10',
        'queries',
        'recall_at_10',
        'recall_at_100',
      ].sort(),
    );
    expect(metrics.queries).toBe(3);
    // Each judged query's best document is an exact topical match: all rank first.
    expect(metrics.mrr_at_10).toBe(1);
    expect(metrics.recall_at_10).toBe(1);
    expect(metrics.ndcg_at_10).toBeGreaterThan(0.9);
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
});
