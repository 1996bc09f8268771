/**
 * Cold start of the compiled binary: from exec to the first 200 from /healthz, run from the
 * repository's folder (where it finds assets/ and the sample corpus):
 * - first start: an empty DATA_DIR each time, so the time includes creating the SQLite file, its
 *   migrations and ingesting the sample corpus (seedIfEmpty);
 * - restart: the same DATA_DIR again, as after a deploy or a reboot.
 *
 *   npm run build && bun run bench/cold-start.ts [binary] [runs]     (default dist/ragchat, 10)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { percentile } from '../src/rag/evaluation.ts';

const binary = resolve(Bun.argv[2] ?? join(import.meta.dir, '..', 'dist', 'ragchat'));
const runs = Number(Bun.argv[3] ?? 10);

async function once(port: number, dataDir: string): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn([binary], {
    cwd: join(import.meta.dir, '..'),
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  try {
    while (performance.now() - started < 30_000) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) return performance.now() - started;
      await Bun.sleep(2);
    }
    throw new Error(`${binary} did not answer /healthz within 30 s`);
  } finally {
    child.kill();
    await child.exited;
  }
}

function report(name: string, times: number[]) {
  console.log(
    `${name.padEnd(14)} ${times.length} runs: p50 ${percentile(times, 50).toFixed(0)} ms, ` +
      `p95 ${percentile(times, 95).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms`,
  );
}

console.log(binary);
const kept = mkdtempSync(join(tmpdir(), 'ragchat-bench-cold-'));
try {
  const first: number[] = [];
  const restart: number[] = [];
  // Run 0 of each warms the page cache and is not counted; the first one also seeds `kept`.
  for (let i = 0; i <= runs; i++) {
    const fresh = mkdtempSync(join(tmpdir(), 'ragchat-bench-cold-'));
    const t = await once(18_000 + i, i === 0 ? kept : fresh);
    rmSync(fresh, { recursive: true, force: true });
    if (i > 0) first.push(t);
    const r = await once(18_500 + i, kept);
    if (i > 0) restart.push(r);
  }
  report('first start', first);
  report('restart', restart);
} finally {
  rmSync(kept, { recursive: true, force: true });
}
