/**
 * `npm run eval:languages [folder]`: runs `ragchat eval` on every language of an XQuAD-style
 * folder (one BEIR dataset per language: <folder>/<lang>/{corpus.jsonl,queries.jsonl,qrels}) and
 * prints one table. Each language gets a fresh scratch store of the configured kind (QDRANT_URL
 * set: Qdrant), exactly as `bun run eval <dir>` would. Default folder: ../shared/eval-data/xquad-dev.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '../shared/eval-data/xquad-dev');
// statSync follows symbolic links: a folder of links to the languages wanted works too.
const languages = readdirSync(root)
  .filter((name) => statSync(join(root, name)).isDirectory())
  .sort();
const scratch = mkdtempSync(join(tmpdir(), 'ragchat-eval-languages-'));
const rows: string[] = [];
let failed = 0;
try {
  for (const language of languages) {
    const json = join(scratch, `${language}.json`);
    const run = Bun.spawnSync([process.execPath, 'run', 'src/main.ts', 'eval', join(root, language), '--json', json], {
      stdout: 'ignore',
      stderr: 'pipe',
      env: process.env,
    });
    if (run.exitCode !== 0) {
      failed++;
      rows.push(`| ${language} | failed: ${run.stderr.toString().trim().split('\n').at(-1)} | | | |`);
      continue;
    }
    const r = (await Bun.file(json).json()) as {
      ndcg_at_10: number;
      recall_at_10: number;
      mrr_at_10: number;
      queries: number;
    };
    rows.push(
      `| ${language} | ${r.ndcg_at_10.toFixed(3)} | ${r.recall_at_10.toFixed(3)} | ${r.mrr_at_10.toFixed(3)} | ${r.queries} |`,
    );
    console.error(rows.at(-1));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(
  ['| language | nDCG@10 | recall@10 | MRR@10 | queries |', '| --- | --- | --- | --- | --- |', ...rows].join('\n'),
);
process.exit(failed > 0 ? 1 : 0);
