/**
 * What the fleet's checks cost a question (src/fleet/): a rate-limit check (two keys, the user and
 * the address) and a stream slot taken and given back, in process (the embedded default) and in
 * Postgres (DATABASE_URL; one round trip each, through a plpgsql function). Sequential, so each
 * figure is one check's latency, not a throughput.
 *
 *   bun run bench/fleet-checks.ts [checks] [postgres url]
 *   (default 2000 checks against postgres://postgres@127.0.0.1:5432/test, in a schema of its own)
 */
import type { Coordinator } from '../src/fleet/coordinator.ts';
import { InProcessCoordinator } from '../src/fleet/in-process-coordinator.ts';
import { PostgresCoordinator } from '../src/fleet/postgres-coordinator.ts';
import { silentLogger } from '../src/logger.ts';
import { percentile } from '../src/rag/evaluation.ts';
import { migratePostgres, openPostgres } from '../src/stores/postgres-database.ts';

const CHECKS = Number(Bun.argv[2] ?? 2000);
const URL = Bun.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function measure(name: string, coordinator: Coordinator): Promise<void> {
  const rate: number[] = [];
  const slot: number[] = [];
  for (let i = 0; i < CHECKS + 200; i++) {
    // Many users, as a busy server has: each check reads and writes its own rows.
    const user = `user-${i % 500}`;
    let t = performance.now();
    const taken = coordinator.takeRate('chat', [`user:${user}`, 'ip:10.0.0.1'], 1_000_000);
    if (taken instanceof Promise) await taken;
    const rateMs = performance.now() - t;
    t = performance.now();
    const claiming = coordinator.claimStream(user, 1_000_000);
    const claim = claiming instanceof Promise ? await claiming : claiming;
    const slotMs = performance.now() - t;
    if (claim.ok) claim.release();
    if (i >= 200) {
      rate.push(rateMs);
      slot.push(slotMs);
    }
  }
  const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(3)} ms, p99 ${percentile(xs, 99).toFixed(3)} ms`;
  console.log(`${name}: rate limit (2 keys) ${fmt(rate)}; stream slot ${fmt(slot)}`);
}

await measure('in process', new InProcessCoordinator());

const schema = `ragchat_bench_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = openPostgres({ url: URL, poolSize: 1 });
await admin.unsafe(`CREATE SCHEMA ${schema}`);
const sql = openPostgres({ url: URL, poolSize: 10, schema });
try {
  await migratePostgres(sql);
  await measure('postgres', new PostgresCoordinator(sql, silentLogger));
} finally {
  await sql.end();
  await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
