import { hostname } from 'node:os';
import { LOGIN_THROTTLE, throttleKey } from '../auth/login-throttle.ts';
import type { MessageStatus } from '../domain.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { runQuery, type Sql } from '../stores/postgres-database.ts';
import type * as Fleet from './coordinator.ts';
import { codePointLength, heldSlot } from './coordinator.ts';
import { Watchers } from './watchers.ts';

export interface PostgresCoordinatorOptions {
  /** How often the writer stores the partial text of its answers and tells followers. @default 200 */
  flushMs?: number;
  /** How often this instance says it is alive; three missed beats and its stream slots lapse. @default 10000 */
  heartbeatMs?: number;
  /** This instance's id (its connections carry it as their application name). @default a new UUIDv7 */
  instanceId?: string;
}

/**
 * One channel for everything that must travel at once; a payload is `<kind> <ids>`:
 * `stop <id>` (to the writer), `flush <id>,<id>…` and `end <id>` (to followers). NOTIFY payloads
 * are limited to 8000 bytes, so a flush names at most FLUSH_BATCH ids (36 characters each).
 */
const CHANNEL = 'ragchat_live';
const FLUSH_BATCH = 200;

/** A published answer and how much of it the last flush stored (UTF-16 units, and code points as Postgres counts). */
interface Flushed {
  answer: Fleet.LiveText;
  units: number;
  chars: number;
}

/**
 * The fleet's shared state in Postgres (the database every instance already has). Stops and
 * flushes travel by LISTEN/NOTIFY on one listening connection per instance; the writer stores the
 * partial text of all its answers in one statement per flush interval (never per token), and a
 * follower elsewhere reads only what it has not seen. Caps and rate limits are one statement
 * each (plpgsql functions of migration 005), serialised by row or advisory locks.
 */
export class PostgresCoordinator implements Fleet.Coordinator {
  readonly shared = true;
  /** The listening connection; queries share the app's pool. */
  readonly connections = 1;
  readonly instanceId: string;
  private readonly flushMs: number;
  private readonly heartbeatMs: number;
  private readonly published = new Map<string, Flushed>();
  private readonly watchers = new Watchers();
  /** This instance's stream slots; the heartbeat deletes any other row it left (a failed release). */
  private readonly slots = new Set<string>();
  private registered: Promise<void> | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private unlisten: (() => Promise<void>) | null = null;
  private flushing = false;
  private flushFailing = false;

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
    options: PostgresCoordinatorOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 200;
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.instanceId = options.instanceId ?? Bun.randomUUIDv7();
  }

  private get aliveMs(): number {
    return 3 * this.heartbeatMs;
  }

  async start(onStop: (messageId: string) => void): Promise<void> {
    await this.register();
    const listener = await runQuery('could not listen for stops and flushes', () =>
      this.sql.listen(CHANNEL, (payload) => this.received(payload, onStop)),
    );
    this.unlisten = () => listener.unlisten();
    this.timers.push(
      setInterval(() => void this.flush(), this.flushMs),
      setInterval(() => void this.heartbeat(), this.heartbeatMs),
    );
  }

  private received(payload: string, onStop: (messageId: string) => void): void {
    const space = payload.indexOf(' ');
    const kind = payload.slice(0, space);
    const ids = payload.slice(space + 1);
    if (kind === 'stop') onStop(ids);
    else if (kind === 'end') this.watchers.wake(ids);
    else if (kind === 'flush') for (const id of ids.split(',')) this.watchers.wake(id);
  }

  /** This instance's row, which its stream slots count by; idempotent. */
  private register(): Promise<void> {
    this.registered ??= runQuery('could not register this instance', async () => {
      await this.sql`
        INSERT INTO fleet_instances (id, host) VALUES (${this.instanceId}, ${hostname()})
        ON CONFLICT (id) DO UPDATE SET seen_at = now()`;
    }).catch((error) => {
      this.registered = null;
      throw error;
    });
    return this.registered;
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.sql`UPDATE fleet_instances SET seen_at = now() WHERE id = ${this.instanceId}`;
      await this.sql`
        DELETE FROM stream_slots WHERE instance_id = ${this.instanceId} AND NOT (id = ANY(${[...this.slots]}::text[]))`;
      // Whichever instance beats first clears what dead instances and full buckets left behind.
      await this.sql`
        DELETE FROM stream_slots s WHERE NOT EXISTS (
          SELECT 1 FROM fleet_instances i
          WHERE i.id = s.instance_id AND i.seen_at > now() - make_interval(secs => ${this.aliveMs / 1000}))`;
      await this.sql`DELETE FROM fleet_instances WHERE seen_at < now() - interval '1 day'`;
      // A bucket is full again a minute after its last take (its capacity is its rate a minute).
      await this.sql`DELETE FROM rate_buckets WHERE at < now() - interval '2 minutes'`;
      await this.sql`
        DELETE FROM login_throttle
        WHERE at < now() - make_interval(secs => ${LOGIN_THROTTLE.forgetAfterMs / 1000})
          AND (blocked_until IS NULL OR blocked_until < now())`;
    } catch (error) {
      this.logger.warn('the fleet heartbeat failed', { error: error as Error });
    }
  }

  async takeRate(kind: Fleet.RateKind, keys: readonly string[], perMinute: number): Promise<Fleet.RateDecision> {
    const [row] = await runQuery(
      'could not check the rate limit',
      () => this.sql<{ wait: number }[]>`
        SELECT take_rate_tokens(${keys.map((k) => `${kind}:${k}`)}::text[], ${perMinute}, ${perMinute / 60}) AS wait`,
    );
    const wait = Number(row?.wait ?? 0);
    return wait > 0 ? { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) } : { ok: true };
  }

  async claimStream(userId: string, limit: number): Promise<Fleet.StreamClaim> {
    await this.register();
    const id = Bun.randomUUIDv7();
    // Held before the row exists: a heartbeat running meanwhile must not take it for a leftover.
    this.slots.add(id);
    const [row] = await runQuery(
      'could not count the answers being written',
      () => this.sql<{ writing: number }[]>`
        SELECT take_stream_slot(${id}, ${userId}, ${this.instanceId}, ${limit}, ${this.aliveMs}) AS writing`,
    ).catch((error) => {
      this.slots.delete(id);
      throw error;
    });
    const writing = Number(row?.writing ?? -1);
    if (writing >= 0) {
      this.slots.delete(id);
      return { ok: false, writing };
    }
    return heldSlot(() => {
      this.slots.delete(id);
      // Not awaited: an answer's end never waits on this. If it fails, the next heartbeat
      // deletes the row (it is no longer among this instance's slots).
      this.sql`DELETE FROM stream_slots WHERE id = ${id}`.catch((error) =>
        this.logger.warn('could not release a stream slot', { error: error as Error }),
      );
    });
  }

  async writing(userId: string): Promise<number> {
    const [row] = await runQuery(
      'could not count the answers being written',
      () => this.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM stream_slots s JOIN fleet_instances i ON i.id = s.instance_id
        WHERE s.user_id = ${userId} AND i.seen_at > now() - make_interval(secs => ${this.aliveMs / 1000})`,
    );
    return row?.n ?? 0;
  }

  async requestStop(messageId: string): Promise<void> {
    await this.notify(`stop ${messageId}`);
  }

  private async notify(payload: string): Promise<void> {
    await runQuery('could not notify the other instances', () => this.sql`SELECT pg_notify(${CHANNEL}, ${payload})`);
  }

  publish(answer: Fleet.LiveText): void {
    this.published.set(answer.messageId, { answer, units: 0, chars: 0 });
  }

  /**
   * Stores what every published answer wrote since its last flush, in one UPDATE, and names them in
   * one NOTIFY (same statement). Only the new text travels: the row keeps its first `at`
   * characters (what the last flush stored) and gets the rest appended, so a flush whose success
   * was not heard of (a connection lost after the commit) and is sent again stores the same text,
   * not twice. Only `streaming` rows: a flush that lands after the final write changes nothing. A
   * flush that fails is simply retried at the next tick. It leaves `updated_at` alone (the sweep's
   * touch, every ANSWER_SWEEP_MS, keeps the answer alive): an indexed column unchanged lets
   * Postgres update the row in place (a HOT update): 94 → 72 ms for a flush of 1,000 answers here.
   */
  async flush(): Promise<void> {
    if (this.flushing) return;
    const due: { id: string; delta: string; entry: Flushed; units: number }[] = [];
    for (const [id, entry] of this.published) {
      const { text } = entry.answer;
      if (text.length !== entry.units) due.push({ id, delta: text.slice(entry.units), entry, units: text.length });
    }
    if (due.length === 0) return;
    this.flushing = true;
    try {
      for (let i = 0; i < due.length; i += FLUSH_BATCH) {
        const batch = due.slice(i, i + FLUSH_BATCH);
        await this.sql`
          WITH flushed AS (
            UPDATE messages m SET content = left(m.content, v.at) || v.delta
            FROM unnest(
              ${batch.map((d) => d.id)}::text[],
              ${batch.map((d) => d.entry.chars)}::int[],
              ${batch.map((d) => d.delta)}::text[]) AS v(id, at, delta)
            WHERE m.id = v.id AND m.status = 'streaming'
            RETURNING m.id)
          SELECT pg_notify(${CHANNEL}, 'flush ' || string_agg(id, ',')) FROM flushed HAVING count(*) > 0`;
        for (const d of batch) {
          d.entry.units = d.units;
          d.entry.chars += codePointLength(d.delta);
        }
      }
      if (this.flushFailing) this.logger.info('partial answers are stored again');
      this.flushFailing = false;
    } catch (error) {
      // Once per outage, not five times a second.
      if (!this.flushFailing) this.logger.warn('could not store partial answers; retrying', { error: error as Error });
      this.flushFailing = true;
    } finally {
      this.flushing = false;
    }
  }

  async ended(messageId: string): Promise<void> {
    this.published.delete(messageId);
    await this.notify(`end ${messageId}`);
  }

  watch(messageId: string, onChange: () => void): () => void {
    return this.watchers.add(messageId, onChange);
  }

  async readSince(messageId: string, fromChars: number): Promise<Fleet.LiveRead | null> {
    const [row] = await runQuery(
      'could not read the answer',
      () => this.sql<{ text: string; status: MessageStatus }[]>`
        SELECT substr(content, ${fromChars + 1}) AS text, status FROM messages WHERE id = ${messageId}`,
    );
    return row ?? null;
  }

  async loginWait(account: string): Promise<number> {
    const [row] = await runQuery(
      'could not read the login throttle',
      () => this.sql<{ wait: number }[]>`
        SELECT ceil(extract(epoch FROM blocked_until - now())) AS wait FROM login_throttle
        WHERE account = ${throttleKey(account)} AND blocked_until > now()`,
    );
    return row ? Math.max(1, Number(row.wait)) : 0;
  }

  /** As LoginThrottle.failed: after `freeFailures` in a row, blocked 1 s, 2 s, 4 s … up to the cap. */
  async loginFailed(account: string): Promise<void> {
    const key = throttleKey(account);
    const { freeFailures, maxBlockMs, forgetAfterMs } = LOGIN_THROTTLE;
    await runQuery('could not record a failed login', () =>
      this.sql.begin(async (tx) => {
        // The row first, so that two instances failing the same new account both lock it.
        await tx`INSERT INTO login_throttle (account, failures, at) VALUES (${key}, 0, now()) ON CONFLICT DO NOTHING`;
        const [row] = await tx<{ failures: number; idle_ms: number }[]>`
          SELECT failures, extract(epoch FROM now() - at) * 1000 AS idle_ms
          FROM login_throttle WHERE account = ${key} FOR UPDATE`;
        const failures = (row && Number(row.idle_ms) < forgetAfterMs ? row.failures : 0) + 1;
        const over = failures - freeFailures;
        const blockMs = over >= 0 ? Math.min(1000 * 2 ** Math.min(over, 30), maxBlockMs) : null;
        await tx`
          UPDATE login_throttle SET failures = ${failures}, at = now(),
            blocked_until = CASE WHEN ${blockMs}::float8 IS NULL
              THEN (CASE WHEN ${failures} = 1 THEN NULL ELSE blocked_until END)
              ELSE now() + make_interval(secs => ${blockMs}::float8 / 1000) END
          WHERE account = ${key}`;
      }),
    );
  }

  async loginSucceeded(account: string): Promise<void> {
    await runQuery(
      'could not clear the login throttle',
      () => this.sql`DELETE FROM login_throttle WHERE account = ${throttleKey(account)}`,
    );
  }

  /**
   * With Postgres but no Qdrant, each instance would keep its own SQLite vectors while sharing one
   * catalog: a document ingested through one would be "unchanged" for the others and never
   * searchable there. The first embedded index registers itself; any other is refused, unless it
   * `takesOver` (`ingest --reindex`: it rebuilds itself from the stored originals of the catalog).
   */
  async registerEmbeddedIndex(index: { id: string; dataDir: string; takesOver?: boolean }): Promise<void> {
    if (index.takesOver) {
      await runQuery(
        'could not register the embedded index',
        () => this.sql`
          INSERT INTO embedded_index (index_id, host, data_dir) VALUES (${index.id}, ${hostname()}, ${index.dataDir})
          ON CONFLICT (singleton) DO UPDATE SET index_id = excluded.index_id, host = excluded.host,
            data_dir = excluded.data_dir, registered_at = now()`,
      );
      return;
    }
    const [row] = await runQuery(
      'could not register the embedded index',
      () => this.sql<{ index_id: string; host: string; data_dir: string; registered_at: Date }[]>`
        WITH claimed AS (
          INSERT INTO embedded_index (index_id, host, data_dir) VALUES (${index.id}, ${hostname()}, ${index.dataDir})
          ON CONFLICT (singleton) DO NOTHING
          RETURNING index_id, host, data_dir, registered_at)
        SELECT * FROM claimed UNION ALL SELECT index_id, host, data_dir, registered_at FROM embedded_index LIMIT 1`,
    );
    if (row && row.index_id !== index.id) {
      throw new AppError(
        'embedded_index_conflict',
        `This database (DATABASE_URL) already serves the embedded vector index of another ragchat ` +
          `instance (${row.data_dir} on ${row.host}, since ${row.registered_at.toISOString()}), and this ` +
          `one has its own (${index.dataDir}): the two would share one document catalog but not their ` +
          'vectors, so a document ingested through one could never be found through the other. Set ' +
          'QDRANT_URL so that every instance shares one index, or run one instance with the data folder ' +
          'that holds the registered index (or, if that index is gone for good, rebuild this one from the ' +
          'stored originals with `ragchat ingest --reindex`, which registers it).',
        409,
      );
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.flush();
    await this.unlisten?.().catch(() => {});
    await this.sql`DELETE FROM fleet_instances WHERE id = ${this.instanceId}`.catch(() => {});
  }
}
