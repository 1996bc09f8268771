import { join } from 'node:path';
import { OpenApiContract } from './openapi-contract.ts';

/**
 * A Qdrant stand-in on loopback, held to Qdrant's own OpenAPI contract (vendored in
 * `qdrant-contract/`, v1.19): every request is checked before it is served (a request the contract rejects gets a 400,
 * as Qdrant would, and is recorded), and every response is checked before it is sent. It keeps
 * collections in memory with Qdrant's semantics for what ragchat uses: named dense (cosine) and
 * sparse (IDF modifier) vectors, payload filters, the Query API with prefetch and RRF fusion,
 * count, scroll and delete by filter. `violations` must stay empty in every test.
 */
const SPEC_PATH = join(import.meta.dir, 'qdrant-contract', 'openapi.json');

type Json = Record<string, unknown>;
interface Sparse {
  indices: number[];
  values: number[];
}
interface Point {
  id: string | number;
  vector: Record<string, number[] | Sparse>;
  payload: Json;
}
interface Collection {
  config: Json;
  points: Map<string, Point>;
  indexes: Set<string>;
}

class QdrantError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let contract: OpenApiContract | null = null;
async function loadContract(): Promise<OpenApiContract> {
  if (!contract) {
    const file = Bun.file(SPEC_PATH);
    if (!(await file.exists()))
      throw new Error(`Qdrant's OpenAPI contract is missing: ${SPEC_PATH} (see qdrant-contract/SOURCE.md).`);
    contract = new OpenApiContract(await file.json());
  }
  return contract;
}

export class QdrantStandIn {
  readonly violations: string[] = [];
  readonly collections = new Map<string, Collection>();
  /** Answer the next `count` requests with `status` (and a Retry-After header, in seconds). */
  faults: { status: number; count: number; retryAfter?: number } | null = null;
  requests = 0;
  /** The body of the last Query API request, as received. */
  lastQuery: Json | null = null;
  /** Hold each Query API request this long before answering (to cancel one on its way). */
  queryDelayMs = 0;
  /** Query API requests whose client went away while they were held. */
  cancelledQueries = 0;
  private server: ReturnType<typeof Bun.serve> | null = null;
  private contract!: OpenApiContract;
  private operationId = 0;

  get url(): string {
    return `http://127.0.0.1:${this.server?.port}`;
  }

  async start(): Promise<this> {
    this.contract = await loadContract();
    this.server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => this.handle(req) });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
  }

  private async handle(req: Request): Promise<Response> {
    this.requests++;
    const started = performance.now();
    const url = new URL(req.url);
    const text = await req.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.error(400, 'Format error in JSON body: expected value', started);
    }
    const problems = this.contract.checkRequest(req.method, url, body);
    if (problems.length > 0) {
      this.violations.push(...problems);
      return this.error(400, `Format error in JSON body: ${problems.join('; ')}`, started);
    }
    if (this.faults && this.faults.count > 0) {
      this.faults.count--;
      const headers: Record<string, string> =
        this.faults.retryAfter !== undefined ? { 'retry-after': String(this.faults.retryAfter) } : {};
      return this.error(this.faults.status, 'Service temporarily unavailable (stand-in fault)', started, headers);
    }
    if (this.queryDelayMs > 0 && url.pathname.endsWith('/points/query')) {
      const cancelled = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.queryDelayMs);
        req.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve(true);
          },
          { once: true },
        );
      });
      if (cancelled) {
        this.cancelledQueries++;
        return new Response(null, { status: 499 });
      }
    }
    try {
      const result = this.route(req.method, url, body as Json | undefined);
      const payload = { result, status: 'ok', time: (performance.now() - started) / 1000 };
      const invalid = this.contract.checkResponse(req.method, url, 200, payload);
      if (invalid.length > 0)
        this.violations.push(...invalid.map((v) => `stand-in answered outside the contract: ${v}`));
      return Response.json(payload);
    } catch (error) {
      if (error instanceof QdrantError) return this.error(error.status, error.message, started);
      throw error;
    }
  }

  private error(status: number, message: string, started: number, headers: Record<string, string> = {}): Response {
    return Response.json(
      { status: { error: message }, time: (performance.now() - started) / 1000 },
      { status, headers },
    );
  }

  private route(method: string, url: URL, body: Json | undefined): unknown {
    const found = this.contract.find(method, url.pathname);
    const name = found?.path.collection_name ?? '';
    const template = found?.operation.template ?? '';
    const key = `${method} ${template}`;
    if (key === 'GET /collections/{collection_name}/exists') return { exists: this.collections.has(name) };
    if (key === 'PUT /collections/{collection_name}') {
      if (this.collections.has(name)) throw new QdrantError(409, `Wrong input: Collection \`${name}\` already exists!`);
      this.collections.set(name, { config: body ?? {}, points: new Map(), indexes: new Set() });
      return true;
    }
    const collection = this.collections.get(name);
    if (!collection) throw new QdrantError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    switch (key) {
      case 'GET /collections/{collection_name}':
        return this.info(collection);
      case 'DELETE /collections/{collection_name}':
        this.collections.delete(name);
        return true;
      case 'PUT /collections/{collection_name}/index':
        collection.indexes.add(String(body?.field_name));
        return this.updated();
      case 'PUT /collections/{collection_name}/points':
        this.upsert(collection, (body?.points ?? []) as Point[]);
        return this.updated();
      case 'POST /collections/{collection_name}/points/delete': {
        for (const [id, p] of collection.points) {
          if (
            body?.filter
              ? matches(p, body.filter as Json)
              : ((body?.points as unknown[]) ?? []).map(String).includes(id)
          ) {
            collection.points.delete(id);
          }
        }
        return this.updated();
      }
      case 'POST /collections/{collection_name}/points/payload': {
        for (const p of collection.points.values()) {
          const chosen = body?.filter
            ? matches(p, body.filter as Json)
            : ((body?.points as unknown[]) ?? []).map(String).includes(String(p.id));
          if (chosen) Object.assign(p.payload, body?.payload ?? {});
        }
        return this.updated();
      }
      case 'POST /collections/{collection_name}/points/count':
        return {
          count: [...collection.points.values()].filter((p) => !body?.filter || matches(p, body.filter as Json)).length,
        };
      case 'POST /collections/{collection_name}/points/scroll':
        return this.scroll(collection, body ?? {});
      case 'POST /collections/{collection_name}/points/query':
        this.lastQuery = body ?? null;
        return { points: this.query(collection, body ?? {}) };
      default:
        throw new QdrantError(501, `The stand-in does not implement ${key}`);
    }
  }

  private updated() {
    return { operation_id: ++this.operationId, status: 'completed' };
  }

  private info(c: Collection) {
    const params = c.config as { vectors?: unknown; sparse_vectors?: unknown; metadata?: unknown };
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: c.points.size,
      segments_count: 1,
      config: {
        params: {
          vectors: params.vectors,
          sparse_vectors: params.sparse_vectors,
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          max_segment_size: null,
          memmap_threshold: null,
          indexing_threshold: 10000,
          flush_interval_sec: 5,
          max_optimization_threads: null,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: null,
        metadata: params.metadata ?? {},
      },
      payload_schema: Object.fromEntries(
        [...c.indexes].map((f) => [f, { data_type: 'keyword', points: c.points.size }]),
      ),
    };
  }

  private upsert(c: Collection, points: Point[]) {
    const dense = (c.config.vectors ?? {}) as Record<string, { size: number }>;
    const sparse = (c.config.sparse_vectors ?? {}) as Record<string, unknown>;
    for (const p of points) {
      for (const [vectorName, v] of Object.entries(p.vector)) {
        if (Array.isArray(v)) {
          const size = dense[vectorName]?.size;
          if (size === undefined)
            throw new QdrantError(400, `Wrong input: Not existing vector name error: ${vectorName}`);
          if (v.length !== size)
            throw new QdrantError(400, `Wrong input: Vector dimension error: expected dim: ${size}, got ${v.length}`);
        } else if (!(vectorName in sparse)) {
          throw new QdrantError(400, `Wrong input: Not existing vector name error: ${vectorName}`);
        } else if (v.indices.length !== v.values.length) {
          throw new QdrantError(400, 'Validation error in JSON body: indices and values must be the same length');
        } else if (new Set(v.indices).size !== v.indices.length) {
          throw new QdrantError(400, 'Validation error in JSON body: indices must be unique');
        }
      }
    }
    for (const p of points) c.points.set(String(p.id), { id: p.id, vector: p.vector, payload: p.payload ?? {} });
  }

  private scroll(c: Collection, body: Json) {
    const ids = [...c.points.keys()].sort();
    const start = body.offset === undefined || body.offset === null ? 0 : ids.indexOf(String(body.offset));
    const limit = Number(body.limit ?? 10);
    const page = ids.slice(Math.max(0, start), Math.max(0, start) + limit);
    const include = (body.with_payload as { include?: string[] } | undefined)?.include;
    return {
      points: page.map((id) => {
        const p = c.points.get(id) as Point;
        const payload = include ? Object.fromEntries(include.map((k) => [k, p.payload[k]])) : p.payload;
        return { id: p.id, payload };
      }),
      next_page_offset: ids[Math.max(0, start) + limit] ?? null,
    };
  }

  private query(c: Collection, body: Json): { id: string | number; version: number; score: number; payload?: Json }[] {
    const candidates = [...c.points.values()].filter((p) => !body.filter || matches(p, body.filter as Json));
    const limit = Number(body.limit ?? 10);
    const rank = (q: Json): { point: Point; score: number }[] => {
      const using = String(q.using ?? '');
      const query = q.query as number[] | Sparse;
      // A prefetch's own filter narrows its candidates (as Qdrant does).
      const pool = q !== body && q.filter ? candidates.filter((p) => matches(p, q.filter as Json)) : candidates;
      const scored = pool.flatMap((point) => {
        const v = point.vector[using];
        if (!v) return [];
        const score = Array.isArray(query)
          ? cosine(query, v as number[])
          : this.sparseScore(c, using, query, v as Sparse);
        return Array.isArray(query) || score > 0 ? [{ point, score }] : [];
      });
      return scored.sort((a, b) => b.score - a.score).slice(0, Number(q.limit ?? 10));
    };
    let results: { point: Point; score: number }[];
    const prefetch = body.prefetch ? (Array.isArray(body.prefetch) ? body.prefetch : [body.prefetch]) : [];
    const fusion = body.query as
      | { rrf?: { k?: number | null; weights?: number[] | null }; fusion?: string }
      | undefined;
    if (prefetch.length > 0 && (fusion?.rrf || fusion?.fusion === 'rrf')) {
      // As Qdrant (reciprocal_rank_fusion.rs): a zero-based position scores 1 / (k + position).
      const k = fusion.rrf?.k ?? 2;
      const weights = fusion.rrf?.weights ?? [];
      const fused = new Map<string, { point: Point; score: number }>();
      prefetch.forEach((pre, i) => {
        rank(pre as Json).forEach(({ point }, position) => {
          const entry = fused.get(String(point.id)) ?? { point, score: 0 };
          entry.score += (weights[i] ?? 1) / (k + position);
          fused.set(String(point.id), entry);
        });
      });
      results = [...fused.values()].sort((a, b) => b.score - a.score);
    } else if (body.query) {
      results = rank(body);
    } else {
      throw new QdrantError(501, 'The stand-in implements queries by vector and RRF fusion of prefetches only');
    }
    const withPayload = body.with_payload === true;
    return results.slice(0, limit).map(({ point, score }) => ({
      id: point.id,
      version: 1,
      score,
      ...(withPayload ? { payload: point.payload } : {}),
    }));
  }

  /** Dot product with Qdrant's IDF modifier: idf = ln(1 + (N − n + 0.5) / (n + 0.5)). */
  private sparseScore(c: Collection, using: string, query: Sparse, doc: Sparse): number {
    const modifier = ((c.config.sparse_vectors ?? {}) as Record<string, { modifier?: string }>)[using]?.modifier;
    const n = c.points.size;
    let score = 0;
    query.indices.forEach((index, qi) => {
      const di = doc.indices.indexOf(index);
      if (di < 0) return;
      let weight = 1;
      if (modifier === 'idf') {
        const df = [...c.points.values()].filter((p) =>
          (p.vector[using] as Sparse | undefined)?.indices.includes(index),
        ).length;
        weight = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      }
      score += weight * (query.values[qi] as number) * (doc.values[di] as number);
    });
    return score;
  }
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** must / should / must_not of field `match` (value or any), `range`, `is_empty` and `has_id` conditions. */
function matches(p: Point, filter: Json): boolean {
  const test = (cond: Json): boolean => {
    if (cond.has_id) return (cond.has_id as unknown[]).map(String).includes(String(p.id));
    if (cond.must || cond.should || cond.must_not) return matches(p, cond);
    if (cond.is_empty) {
      const v = p.payload[String((cond.is_empty as Json).key)];
      return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
    }
    const value = p.payload[String(cond.key)];
    const match = cond.match as { value?: unknown; any?: unknown[] } | undefined;
    if (match && 'value' in match) return value === match.value;
    if (match?.any) return match.any.includes(value);
    const range = cond.range as { gt?: number; gte?: number; lt?: number; lte?: number } | undefined;
    if (range) {
      if (typeof value !== 'number') return false;
      return (
        (range.gt === undefined || value > range.gt) &&
        (range.gte === undefined || value >= range.gte) &&
        (range.lt === undefined || value < range.lt) &&
        (range.lte === undefined || value <= range.lte)
      );
    }
    throw new QdrantError(501, `The stand-in does not implement the condition ${JSON.stringify(cond)}`);
  };
  const list = (x: unknown) => (x === undefined || x === null ? [] : Array.isArray(x) ? (x as Json[]) : [x as Json]);
  const must = list(filter.must).every(test);
  const should = list(filter.should);
  const mustNot = list(filter.must_not).some(test);
  return must && (should.length === 0 || should.some(test)) && !mustNot;
}
