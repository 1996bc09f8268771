/**
 * What the fleet's checks cost a question (src/fleet/): a rate-limit check (two keys, the user and
 * the address) and a stream slot taken and given back, in process (the embedded default) and in
 * Postgres (DATABASE_URL; one round trip each, through a plpgsql function). Sequential, so each
 * figure is one check's latency, not a throughput. Then one flush of 1,000 answers being written.
 *
 *   bun run bench/fleet-checks.ts [checks] [postgres url]
 *   (default 2000 checks against postgres://postgres@127.0.0.1:5432/test, in a schema of its own)
 */
import type { Coordinator } from '../src/fleet/coordinator.ts';
import { InProcessCoordinator } from '../src/fleet/in-process-coordinator.ts';
import { PostgresCoordinator } from '../src/fleet/postgres-coordinator.ts';
import { silentLogger } from '../src/logger.ts';
import { percentile } from '../src/rag/evaluation.ts';
import { PostgresChatRepository } from '../src/stores/postgres-chat-repository.ts';
import { migratePostgres, openPostgres } from '../src/stores/postgres-database.ts';

const CHECKS = Number(Bun.argv[2] ?? 2000);
const URL = Bun.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ANSWERS = 1000;

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

/**
 * One flush of `ANSWERS` answers being written at once, each grown by a fragment since the last:
 * the statement a writer runs every LIVE_FLUSH_MS whatever the number of its answers.
 */
async function measureFlush(coordinator: PostgresCoordinator): Promise<void> {
  const repo = new PostgresChatRepository(sql);
  await repo.ensureUser({ id: 'u', name: 'U' });
  const conversation = await repo.createConversation({ id: Bun.randomUUIDv7(), userId: 'u', title: 't' });
  const answers = Array.from({ length: ANSWERS }, () => ({ messageId: Bun.randomUUIDv7(), text: '' }));
  for (const a of answers)
    await repo.addMessage({
      id: a.messageId,
      conversationId: conversation.id,
      role: 'assistant',
      content: '',
      status: 'streaming',
    });
  for (const a of answers) coordinator.publish(a);
  const times: number[] = [];
  for (let round = 0; round < 40; round++) {
    // About what 200 ms of a model adds to an answer: a dozen words.
    for (const a of answers) a.text += ' a dozen words of an answer, written two hundred ms apart.';
    const t = performance.now();
    await coordinator.flush();
    if (round >= 5) times.push(performance.now() - t);
  }
  const chars = answers[0]?.text.length ?? 0;
  console.log(
    `postgres: one flush of ${ANSWERS} answers (${chars} characters each at the end): p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`,
  );
}

await measure('in process', new InProcessCoordinator());

const schema = `ragchat_bench_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = openPostgres({ url: URL, poolSize: 1 });
await admin.unsafe(`CREATE SCHEMA ${schema}`);
const sql = openPostgres({ url: URL, poolSize: 10, schema });
try {
  await migratePostgres(sql);
  const coordinator = new PostgresCoordinator(sql, silentLogger);
  await measure('postgres', coordinator);
  await measureFlush(coordinator);
} finally {
  await sql.end();
  await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
