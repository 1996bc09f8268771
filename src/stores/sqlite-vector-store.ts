import type { Database } from 'bun:sqlite';
import type { EmbeddedChunk, ScoredChunk } from '../domain.ts';
import { AppError } from '../errors.ts';
import { reciprocalRankFusion } from '../search/fusion.ts';
import { detectLanguage } from '../search/language.ts';
import { analysedText, keywordTerms, queryTerms, TEXT_ANALYSIS } from '../search/text.ts';
import { unitLength } from '../search/unit-length.ts';
import { QuantisedVectorMatrix } from './quantised-vector-matrix.ts';
import { translateSqliteErrors } from './sqlite-database.ts';
import { type ChunkQuery, type EmbedderIdentity, indexMismatchMessage, type VectorStore } from './vector-store.ts';

interface ChunkRow {
  rowid: number;
  id: string;
  document_id: string;
  source: string;
  title: string;
  location: string;
  idx: number;
  text: string;
  content_hash: string;
  collection: string;
  language: string;
}

const KEYWORD_TABLES = ['chunks_fts', 'chunks_trigram'] as const;

/**
 * How many rows the int8 first pass hands to the exact re-scoring, per result wanted: enough that
 * the exact top results are among them (recall@10 1.000 at 100,000 chunks in
 * bench/retrieval-scale.ts), few enough to read their float32 vectors from SQLite in a millisecond.
 */
const RESCORE_FACTOR = 4;
const RESCORE_MIN = 200;

/**
 * Embedded store: chunks, vectors (as Float32 blobs) and an FTS5 keyword index in the SQLite file.
 * Dense search scans an int8 copy of every vector held in memory (QuantisedVectorMatrix), then
 * re-scores the best few hundred with their exact float32 vectors: about 30 ms at 100,000 chunks of
 * 1,536 dimensions on one core, in 154 MB (see the README's "Embedded search at scale"). Past a few
 * hundred thousand chunks, Qdrant is the production backend.
 */
export class SqliteVectorStore implements VectorStore {
  /** Loaded at the first dense search, then kept in step with this connection's writes. */
  private matrix: QuantisedVectorMatrix | null = null;
  /** `PRAGMA data_version` when the matrix was loaded: it changes when another process writes. */
  private matrixDataVersion = -1;
  /** Every collection with chunks, and perhaps some that had them (see permitsAll). */
  private collectionsSeen: Set<string> | null = null;
  private collectionsSeenVersion = -1;
  private identity: EmbedderIdentity | null = null;

  constructor(
    private readonly db: Database,
    private readonly options: {
      candidates?: number;
      /** Weight of the keyword ranking in the fusion; 0 skips it. @default 1 */
      keywordWeight?: number;
      /** Weight of the vector ranking in the fusion; 0 skips it. @default 1 */
      vectorWeight?: number;
      /** BM25 weights of the title, heading path and body columns. @default [3, 2, 1] */
      columnWeights?: [number, number, number];
      /** Share of the trigram index in the keyword score. @default 0.3 */
      trigramWeight?: number;
      /**
       * When the trigram index is asked: `fallback` (default) only when the stemmed index found
       * fewer passages than wanted; `always` for every question (see keywordSearch).
       */
      trigram?: 'fallback' | 'always';
      /** `js` forces the portable dense-search kernel (for tests); by default WebAssembly SIMD. */
      kernel?: 'auto' | 'js';
      /** Bytes of float32 vectors kept in memory for re-scoring (see EXACT_COPY_BYTES). */
      exactCopyBytes?: number;
    } = {},
  ) {
    translateSqliteErrors(this, 'could not read or write the index');
  }

  async open(embedder: EmbedderIdentity): Promise<void> {
    const stored = this.storedIdentity();
    if (stored && (stored.model !== embedder.model || stored.dimensions !== embedder.dimensions)) {
      throw new AppError('index_mismatch', indexMismatchMessage(stored, embedder), 500);
    }
    if (!stored) {
      const put = this.db.query('INSERT OR REPLACE INTO index_meta (key, value) VALUES (?, ?)');
      this.db.transaction(() => {
        put.run('embedding_model', embedder.model);
        put.run('embedding_dimensions', String(embedder.dimensions));
      })();
    }
    this.identity = embedder;
    this.refreshKeywordIndex();
  }

  /**
   * Rebuilds the keyword index from the stored chunks when its terms were made by another text
   * analysis than this one (an index from before migration 7, or a later change of TEXT_ANALYSIS),
   * detecting the language of chunks stored without one. Chunks, vectors and documents stay: this
   * re-analyses what the index already holds, about 5,000 chunks a second.
   */
  private refreshKeywordIndex(): void {
    const stored = this.db
      .query<{ value: string }, []>("SELECT value FROM index_meta WHERE key = 'text_analysis'")
      .get()?.value;
    if (stored === TEXT_ANALYSIS) return;
    const insertFts = this.db.query('INSERT INTO chunks_fts (rowid, title, location, text) VALUES (?, ?, ?, ?)');
    const setLanguage = this.db.query('UPDATE chunks SET language = ? WHERE rowid = ?');
    this.db.transaction(() => {
      this.db.exec('DELETE FROM chunks_fts');
      for (const r of this.db
        .query<{ rowid: number; title: string; location: string; text: string; language: string }, []>(
          'SELECT rowid, title, location, text, language FROM chunks',
        )
        .all()) {
        const language = r.language || detectLanguage(r.text);
        if (language !== r.language) setLanguage.run(language, r.rowid);
        insertFts.run(r.rowid, ...analysedColumns(r, language));
      }
      this.db.query("INSERT OR REPLACE INTO index_meta (key, value) VALUES ('text_analysis', ?)").run(TEXT_ANALYSIS);
    })();
  }

  /**
   * A random id this index keeps for its lifetime (a rebuild keeps it too): with history in
   * Postgres, the database records which embedded index serves its catalog (src/fleet/).
   */
  indexId(): string {
    const get = () =>
      this.db.query<{ value: string }, []>("SELECT value FROM index_meta WHERE key = 'index_id'").get()?.value;
    const existing = get();
    if (existing) return existing;
    this.db.query("INSERT OR IGNORE INTO index_meta (key, value) VALUES ('index_id', ?)").run(crypto.randomUUID());
    return get() as string;
  }

  private storedIdentity(): EmbedderIdentity | null {
    const rows = this.db.query<{ key: string; value: string }, []>('SELECT key, value FROM index_meta').all();
    const meta = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    if (!meta.embedding_model) return null;
    return { model: meta.embedding_model, dimensions: Number(meta.embedding_dimensions) };
  }

  async upsert(chunks: EmbeddedChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    const dims = this.requireIdentity().dimensions;
    const upsertChunk = this.db.query<{ rowid: number }, Record<string, string | number | Uint8Array>>(
      `INSERT INTO chunks (id, document_id, source, title, location, idx, text, content_hash, collection, language, vector)
       VALUES ($id, $documentId, $source, $title, $location, $idx, $text, $contentHash, $collection, $language, $vector)
       ON CONFLICT(id) DO UPDATE SET document_id = excluded.document_id, source = excluded.source,
         title = excluded.title, location = excluded.location, idx = excluded.idx, text = excluded.text,
         content_hash = excluded.content_hash, collection = excluded.collection, language = excluded.language,
         vector = excluded.vector
       RETURNING rowid`,
    );
    const deleteFts = this.db.query('DELETE FROM chunks_fts WHERE rowid = ?');
    const insertFts = this.db.query('INSERT INTO chunks_fts (rowid, title, location, text) VALUES (?, ?, ?, ?)');
    const deleteTrigram = this.db.query('DELETE FROM chunks_trigram WHERE rowid = ?');
    const insertTrigram = this.db.query('INSERT INTO chunks_trigram (rowid, title, text) VALUES (?, ?, ?)');
    const rowids: number[] = [];
    this.db.transaction(() => {
      for (const c of chunks) {
        if (c.vector.length !== dims) {
          throw new AppError('invalid_vector', `Chunk ${c.id} has ${c.vector.length} dimensions, expected ${dims}.`);
        }
        const language = c.language ?? detectLanguage(c.text);
        const row = upsertChunk.get({
          id: c.id,
          documentId: c.documentId,
          source: c.source,
          title: c.title,
          location: c.location,
          idx: c.index,
          text: c.text,
          contentHash: c.contentHash,
          collection: c.collection,
          language,
          vector: new Uint8Array(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength),
        }) as { rowid: number };
        rowids.push(row.rowid);
        deleteFts.run(row.rowid);
        insertFts.run(row.rowid, ...analysedColumns(c, language));
        deleteTrigram.run(row.rowid);
        insertTrigram.run(row.rowid, c.title, c.text);
      }
    })();
    // Only once committed: a failed transaction leaves the matrix as the file is.
    for (const [i, c] of chunks.entries()) {
      this.matrix?.set(rowids[i] as number, c.vector, c.collection);
      this.collectionsSeen?.add(c.collection);
    }
  }

  async deleteDocument(documentId: string, fromIndex = 0): Promise<void> {
    const removed = this.db.transaction(() => {
      const rowids = this.db
        .query<{ rowid: number }, [string, number]>('SELECT rowid FROM chunks WHERE document_id = ? AND idx >= ?')
        .all(documentId, fromIndex);
      for (const table of KEYWORD_TABLES) {
        this.db
          .query(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM chunks WHERE document_id = ? AND idx >= ?)`)
          .run(documentId, fromIndex);
      }
      this.db.query('DELETE FROM chunks WHERE document_id = ? AND idx >= ?').run(documentId, fromIndex);
      return rowids;
    })();
    for (const r of removed) this.matrix?.remove(r.rowid);
  }

  /**
   * SQLite runs each statement to its end on this thread, so an abort is honoured between the
   * steps: before the keyword search, after the question's vector has arrived, and before the rows
   * are read.
   */
  async search(query: ChunkQuery, signal?: AbortSignal): Promise<ScoredChunk[]> {
    signal?.throwIfAborted();
    const candidates = Math.max(query.topK * 2, this.options.candidates ?? 50);
    const vectorWeight = this.options.vectorWeight ?? 1;
    const keywordWeight = this.options.keywordWeight ?? 1;
    const allowed = query.collections;
    if (allowed?.length === 0) return [];
    // The keyword side first, while the question's embedding may still be on its way: a turn of
    // the event loop lets its request leave before this thread is busy with SQLite, so the two
    // overlap and the keyword time is not added to the answer's. A side with weight 0 is not
    // searched at all.
    if (query.vector instanceof Promise) await new Promise((resolve) => setImmediate(resolve));
    const keywordIds = keywordWeight > 0 ? this.keywordSearch(query.text, candidates, allowed) : null;
    const vector = vectorWeight > 0 ? await query.vector : null;
    signal?.throwIfAborted();
    const lists = [
      ...(vector ? [{ ids: this.denseSearch(vector, candidates, allowed).map(String), weight: vectorWeight }] : []),
      ...(keywordIds ? [{ ids: keywordIds.map(String), weight: keywordWeight }] : []),
    ];
    const fused = reciprocalRankFusion(lists).slice(0, query.topK);
    if (fused.length === 0) return [];
    signal?.throwIfAborted();
    const rows = this.db
      .query<ChunkRow, number[]>(`SELECT rowid, * FROM chunks WHERE rowid IN (${fused.map(() => '?').join(',')})`)
      .all(...fused.map((f) => Number(f.id)));
    const byRowid = new Map(rows.map((r) => [String(r.rowid), r]));
    return fused.flatMap((f) => {
      const r = byRowid.get(f.id);
      return r
        ? [
            {
              id: r.id,
              documentId: r.document_id,
              source: r.source,
              title: r.title,
              location: r.location,
              index: r.idx,
              text: r.text,
              contentHash: r.content_hash,
              collection: r.collection,
              language: r.language,
              score: f.score,
            },
          ]
        : [];
    });
  }

  /**
   * Row ids of the nearest vectors by cosine (vectors are stored unit-length), best first. The int8
   * pass picks the candidates among the permitted collections only; their float32 vectors then
   * give the exact scores and the order. A row whose cosine is not above 0 is not a match.
   */
  private denseSearch(vector: Float32Array, limit: number, allowed?: readonly string[]): number[] {
    const matrix = this.loadMatrix();
    const candidates = matrix.nearest(vector, Math.max(limit * RESCORE_FACTOR, RESCORE_MIN), allowed);
    if (candidates.length === 0) return [];
    const q = unitLength(vector);
    const dims = matrix.dimensions;
    const dot = (rowid: number, v: Float32Array) => {
      // Four running sums: the engine keeps them in registers and overlaps the multiplications.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let d = 0;
      for (; d + 3 < dims; d += 4) {
        s0 += (v[d] as number) * (q[d] as number);
        s1 += (v[d + 1] as number) * (q[d + 1] as number);
        s2 += (v[d + 2] as number) * (q[d + 2] as number);
        s3 += (v[d + 3] as number) * (q[d + 3] as number);
      }
      for (; d < dims; d++) s0 += (v[d] as number) * (q[d] as number);
      return { rowid, score: s0 + s1 + s2 + s3 };
    };
    const scored = matrix.keepsExact
      ? candidates.map((rowid) => dot(rowid, matrix.exactVector(rowid) as Float32Array))
      : this.db
          .query<{ rowid: number; vector: Uint8Array }, number[]>(
            `SELECT rowid, vector FROM chunks WHERE rowid IN (${candidates.map(() => '?').join(',')})`,
          )
          .all(...candidates)
          .map((r) =>
            // A view of the blob where its offset allows one (the usual case): copying 200 blobs a
            // question to align them was about a twentieth of the server's CPU per answer.
            dot(
              r.rowid,
              r.vector.byteOffset % 4 === 0
                ? new Float32Array(r.vector.buffer, r.vector.byteOffset, dims)
                : new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + dims * 4)),
            ),
          );
    return scored
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || a.rowid - b.rowid)
      .slice(0, limit)
      .map((r) => r.rowid);
  }

  private get columnWeights(): string {
    return (this.options.columnWeights ?? [3, 2, 1]).map((w) => Number(w).toFixed(2)).join(', ');
  }

  /**
   * Keyword ranking: BM25 over the index of analysed terms (src/search/text.ts), plus a smaller share of BM25 over the
   * character-trigram index (word prefixes of six letters), each scaled to its best hit and added
   * (CombSUM). The trigram query costs about seven times the stemmed one (2.1 of 2.4 ms a question
   * on the bench's 300 documents; three quarters of the keyword side at 100k chunks), so by default
   * it is asked only when the stemmed index found fewer passages than wanted: a question whose
   * words the stemmer does not match (a misspelling, a part of a word). Asked always, it lifts
   * SciFact's nDCG@10 from 0.696 to 0.705; see the README.
   */
  private keywordSearch(text: string, limit: number, permitted?: readonly string[]): number[] {
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    // A filter that permits every collection in the index is no filter, and checking each hit
    // against the list of every chunk is most of the keyword side's time at 100,000 chunks.
    const allowed = permitted && !this.permitsAll(permitted) ? permitted : undefined;
    // The access filter is part of the SQL: the index only ever ranks chunks the asker may read.
    // The unary + keeps SQLite from handing the rowid list to FTS5 as a constraint, which runs the
    // MATCH once per permitted rowid (186 ms instead of 0.8 ms at 1,000 chunks, and linear in
    // them); with it, the MATCH runs once and each hit is checked against the list.
    const inCollections = (table: string) =>
      allowed
        ? ` AND +${table}.rowid IN (SELECT rowid FROM chunks WHERE collection IN (${allowed.map(() => '?').join(',')}))`
        : '';
    const filterArgs = allowed ? [...allowed] : [];
    // Quoted terms joined by OR: user text never reaches FTS5's query syntax unescaped.
    const quote = (t: string) => `"${t.replaceAll('"', '""')}"`;
    const scores = new Map<number, number>();
    const add = (rows: { rowid: number; score: number }[], weight: number) => {
      const best = Math.max(...rows.map((r) => r.score), Number.MIN_VALUE);
      for (const r of rows) scores.set(r.rowid, (scores.get(r.rowid) ?? 0) + (weight * r.score) / best);
    };
    const stemmed = this.db
      .query<{ rowid: number; score: number }, (string | number)[]>(
        // Title and heading matches weigh more than body text. bm25() is negative: lower is better.
        `SELECT rowid, -bm25(chunks_fts, ${this.columnWeights}) AS score FROM chunks_fts
         WHERE chunks_fts MATCH ?${inCollections('chunks_fts')} ORDER BY bm25(chunks_fts, ${this.columnWeights}) LIMIT ?`,
      )
      .all(terms.map(quote).join(' OR '), ...filterArgs, limit);
    add(stemmed, 1);
    const trigramWeight = this.options.trigramWeight ?? 0.3;
    const wanted = this.options.trigram === 'always' || stemmed.length < limit;
    // Prefixes of the words as written: the trigram index holds the raw text, not analysed terms.
    const prefixes = [
      ...new Set(
        keywordTerms(text)
          .filter((t) => t.length >= 4)
          .map((t) => t.slice(0, 6)),
      ),
    ];
    if (trigramWeight > 0 && wanted && prefixes.length > 0) {
      add(
        this.db
          .query<{ rowid: number; score: number }, (string | number)[]>(
            `SELECT rowid, -bm25(chunks_trigram, 2.0, 1.0) AS score FROM chunks_trigram
             WHERE chunks_trigram MATCH ?${inCollections('chunks_trigram')} ORDER BY bm25(chunks_trigram, 2.0, 1.0) LIMIT ?`,
          )
          .all(prefixes.map(quote).join(' OR '), ...filterArgs, limit),
        trigramWeight,
      );
    }
    return [...scores.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([rowid]) => rowid);
  }

  /**
   * Whether `permitted` names every collection that has chunks. The set it checks against may hold
   * collections that no longer have any (deletions do not shrink it), never fewer than the file
   * has: writes here add to it, and another connection's writes make it be read again.
   */
  private permitsAll(permitted: readonly string[]): boolean {
    const version = this.dataVersion();
    if (!this.collectionsSeen || version !== this.collectionsSeenVersion) {
      this.collectionsSeen = new Set(
        this.db
          .query<{ collection: string }, []>('SELECT DISTINCT collection FROM chunks')
          .all()
          .map((r) => r.collection),
      );
      this.collectionsSeenVersion = version;
    }
    const names = new Set(permitted);
    for (const c of this.collectionsSeen) if (!names.has(c)) return false;
    return true;
  }

  private dataVersion(): number {
    return (this.db.query('PRAGMA data_version').get() as { data_version: number }).data_version;
  }

  /**
   * The in-memory matrix, read from the file at first use and again when another connection (an
   * `ingest` run beside the server) has written since; this connection's own writes update it.
   */
  private loadMatrix(): QuantisedVectorMatrix {
    const version = this.dataVersion();
    if (this.matrix && version === this.matrixDataVersion) return this.matrix;
    const dims = this.requireIdentity().dimensions;
    const matrix = new QuantisedVectorMatrix(dims, this.options.kernel, this.options.exactCopyBytes);
    // Row by row, so that loading never holds every float32 vector at once.
    for (const r of this.db
      .query<{ rowid: number; vector: Uint8Array; collection: string }, []>(
        'SELECT rowid, vector, collection FROM chunks',
      )
      .iterate()) {
      matrix.set(
        r.rowid,
        new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + dims * 4)),
        r.collection,
      );
    }
    this.matrix = matrix;
    this.matrixDataVersion = version;
    return matrix;
  }

  private requireIdentity(): EmbedderIdentity {
    if (!this.identity) throw new AppError('not_open', 'SqliteVectorStore.open() must be called before use.');
    return this.identity;
  }

  async count(): Promise<number> {
    return (this.db.query<{ n: number }, []>('SELECT count(*) AS n FROM chunks').get() as { n: number }).n;
  }

  async documentIds(): Promise<Map<string, number>> {
    const rows = this.db
      .query<{ document_id: string; n: number }, []>(
        'SELECT document_id, count(*) AS n FROM chunks GROUP BY document_id',
      )
      .all();
    return new Map(rows.map((r) => [r.document_id, r.n]));
  }

  async danglingKeywordEntries(remove: boolean): Promise<number> {
    const where = 'rowid NOT IN (SELECT rowid FROM chunks)';
    let total = 0;
    for (const table of KEYWORD_TABLES) {
      total += remove
        ? this.db.query(`DELETE FROM ${table} WHERE ${where}`).run().changes
        : (this.db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number })
            .n;
    }
    return total;
  }

  async reset(): Promise<void> {
    this.db.transaction(() => {
      for (const table of KEYWORD_TABLES) this.db.exec(`DELETE FROM ${table}`);
      this.db.exec('DELETE FROM chunks');
      // The index's identity outlives a rebuild: it is still the same index (see indexId).
      this.db.exec("DELETE FROM index_meta WHERE key <> 'index_id'");
    })();
    this.matrix = null;
    this.collectionsSeen = null;
    this.identity = null;
  }

  async ping(): Promise<void> {
    this.db.query('SELECT 1 FROM chunks LIMIT 1').get();
  }
}

/** The keyword index's columns for a chunk: its title, heading path and text as analysed terms. */
function analysedColumns(
  c: { title: string; location: string; text: string },
  language: string,
): [string, string, string] {
  return [analysedText(c.title, language), analysedText(c.location, language), analysedText(c.text, language)];
}
