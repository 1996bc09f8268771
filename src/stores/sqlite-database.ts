import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { databaseError } from './database-errors.ts';

/**
 * The embedded default keeps history, documents, vectors and the keyword index in one SQLite file.
 * Migrations are versioned by `PRAGMA user_version` and applied in order inside a transaction; an
 * exclusive transaction makes two processes opening the same file at once apply each step once.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX conversations_by_user ON conversations(user_id, updated_at DESC);
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('streaming', 'complete', 'stopped', 'failed')),
    sources TEXT NOT NULL DEFAULT '[]',
    model TEXT,
    latency_ms INTEGER,
    error TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX messages_by_conversation ON messages(conversation_id, seq);
  CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE chunks (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    location TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector BLOB NOT NULL
  );
  CREATE INDEX chunks_by_document ON chunks(document_id);
  -- Porter stemming so "streams" finds "streaming"; rowid mirrors chunks.rowid (replaced in 7).
  CREATE VIRTUAL TABLE chunks_fts USING fts5(title, location, text, tokenize = 'porter unicode61 remove_diacritics 2');
  CREATE TABLE index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2: token usage, and a touch time so that orphaned answers can be told from live ones.
  `
  ALTER TABLE messages ADD COLUMN prompt_tokens INTEGER;
  ALTER TABLE messages ADD COLUMN completion_tokens INTEGER;
  ALTER TABLE messages ADD COLUMN updated_at TEXT;
  UPDATE messages SET updated_at = created_at;
  CREATE INDEX messages_streaming ON messages(status, updated_at) WHERE status = 'streaming';
  `,
  // 3: a character-trigram keyword index beside the Porter one: it matches word parts Porter
  // stemming does not relate ("biomaterial" in "biomaterial-based", chemical and gene names).
  `
  CREATE VIRTUAL TABLE chunks_trigram USING fts5(title, text, tokenize = 'trigram');
  INSERT INTO chunks_trigram (rowid, title, text) SELECT rowid, title, text FROM chunks;
  `,
  // 4: the standalone question a follow-up was rewritten to.
  `
  ALTER TABLE messages ADD COLUMN search_query TEXT;
  `,
  // 5: accounts (AUTH_MODE=password), sessions, API tokens, collections with grants, the audit log;
  // every document and chunk belongs to a collection (existing ones to "general").
  `
  ALTER TABLE users ADD COLUMN email TEXT;
  ALTER TABLE users ADD COLUMN password_hash TEXT;
  ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member'));
  CREATE UNIQUE INDEX users_by_email ON users(email) WHERE email IS NOT NULL;
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX sessions_by_user ON sessions(user_id);
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
  CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  INSERT INTO collections (id, name, created_at) VALUES ('general', 'General', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
  CREATE TABLE collection_grants (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, collection_id)
  );
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
  );
  ALTER TABLE documents ADD COLUMN collection TEXT NOT NULL DEFAULT 'general';
  ALTER TABLE chunks ADD COLUMN collection TEXT NOT NULL DEFAULT 'general';
  CREATE INDEX chunks_by_collection ON chunks(collection);
  `,
  // 6: a reader's thumbs up or down on an answer, with an optional comment.
  `
  ALTER TABLE messages ADD COLUMN feedback_rating TEXT CHECK (feedback_rating IN ('up', 'down'));
  ALTER TABLE messages ADD COLUMN feedback_comment TEXT;
  ALTER TABLE messages ADD COLUMN feedback_at TEXT;
  `,
  // 7: every chunk's language, and a keyword index of pre-analysed terms (src/search/text.ts:
  // segmented, stemmed in the chunk's language, accents folded) instead of FTS5's Porter stemmer,
  // which knew only English and kept a run of Chinese characters as one token. The tokenizer only
  // splits the space-joined terms again (marks count as letters: Devanagari and Thai vowel signs
  // are marks). SqliteVectorStore.open refills it from the stored chunks (TEXT_ANALYSIS).
  `
  ALTER TABLE chunks ADD COLUMN language TEXT NOT NULL DEFAULT '';
  ALTER TABLE documents ADD COLUMN language TEXT NOT NULL DEFAULT '';
  DROP TABLE chunks_fts;
  CREATE VIRTUAL TABLE chunks_fts USING fts5(title, location, text, tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'");
  DELETE FROM index_meta WHERE key = 'text_analysis';
  `,
  // 8: where a conversation was asked: the page or /api, an OpenAI-compatible client, an MCP client.
  `
  ALTER TABLE conversations ADD COLUMN origin TEXT NOT NULL DEFAULT 'ragchat' CHECK (origin IN ('ragchat', 'openai', 'mcp'));
  `,
];

/**
 * Opens (creating) the file and, unless told not to, applies its migrations. The app's wiring
 * opens without them and leaves them to the start-up step (src/startup.ts), with Postgres's.
 */
export function openSqliteDatabase(path: string, options: { migrate?: boolean } = {}): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA synchronous = NORMAL');
  // Up to 16 MiB of pages cached per connection instead of SQLite's 2 MiB: a search touches pages
  // of the keyword indexes and of the chunks all over the file, and at the default a hybrid search
  // on the benchmark's 1,800 chunks read a sixth of its pages back from the OS each time.
  db.exec('PRAGMA cache_size = -16384');
  if (options.migrate !== false) migrateSqlite(db);
  return db;
}

export function migrateSqlite(db: Database): void {
  db.transaction(() => {
    const { user_version: version } = db.query('PRAGMA user_version').get() as { user_version: number };
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.exec(MIGRATIONS[i] as string);
      db.exec(`PRAGMA user_version = ${i + 1}`);
    }
  }).exclusive();
}

export const nowIso = () => new Date().toISOString();

/**
 * Makes every method of a SQLite store fail the way its Postgres twin does (databaseError: a busy
 * or unreadable file is `unavailable:database`, saying `what` failed). bun:sqlite is synchronous,
 * so the statements run inline in each method; wrapping the methods once, here, stands for the
 * `runQuery` that each Postgres query goes through. Called from the store's constructor.
 */
export function translateSqliteErrors(store: object, what: string): void {
  const prototype = Object.getPrototypeOf(store);
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = Object.getOwnPropertyDescriptor(prototype, name)?.value;
    if (name === 'constructor' || typeof method !== 'function') continue;
    Object.defineProperty(store, name, {
      configurable: true,
      writable: true,
      value(this: unknown, ...args: unknown[]) {
        try {
          const result = method.apply(this, args);
          return result instanceof Promise
            ? result.catch((error) => {
                throw databaseError(error, what);
              })
            : result;
        } catch (error) {
          throw databaseError(error, what);
        }
      },
    });
  }
}
