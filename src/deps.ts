import type { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { AuthService, LOCAL_USER } from './auth/auth-service.ts';
import { ChatService } from './chat/chat-service.ts';
import { ConversationTools } from './chat/conversation-tools.ts';
import type { Config } from './config.ts';
import type { Coordinator } from './fleet/coordinator.ts';
import { InProcessCoordinator } from './fleet/in-process-coordinator.ts';
import { IntegrationService } from './integrations/integration-service.ts';
import { createLogger, type Logger, withFields } from './logger.ts';
import {
  InstrumentedEmbeddingClient,
  InstrumentedLlmClient,
  InstrumentedReranker,
} from './observability/instrumented-providers.ts';
import { Telemetry } from './observability/telemetry.ts';
import { BatchingEmbeddingClient } from './providers/batching-embedding-client.ts';
import type { EmbeddingClient } from './providers/embedding-client.ts';
import { HttpReranker } from './providers/http-reranker.ts';
import type { LlmClient } from './providers/llm-client.ts';
import { LocalEmbeddingClient } from './providers/local-embedding-client.ts';
import { NoopReranker } from './providers/noop-reranker.ts';
import { OfflineLlmClient } from './providers/offline-llm-client.ts';
import type { Reranker } from './providers/reranker.ts';
import { Ingestion, REINDEX_PENDING } from './rag/ingestion.ts';
import { HeuristicQueryRewriter, LlmQueryRewriter } from './rag/query-rewriter.ts';
import { RagOrchestrator } from './rag/rag-orchestrator.ts';
import { Retriever } from './rag/retriever.ts';
import type { AccountStore } from './stores/account-store.ts';
import type { ChatRepository } from './stores/chat-repository.ts';
import type { DocumentCatalog } from './stores/document-catalog.ts';
import type { DocumentStore } from './stores/document-store.ts';
import { FilesystemDocumentStore } from './stores/filesystem-document-store.ts';
import { SqliteAccountStore } from './stores/sqlite-account-store.ts';
import { SqliteChatRepository } from './stores/sqlite-chat-repository.ts';
import { openSqliteDatabase } from './stores/sqlite-database.ts';
import { SqliteDocumentCatalog } from './stores/sqlite-document-catalog.ts';
import { SqliteVectorStore } from './stores/sqlite-vector-store.ts';
import type { VectorStore } from './stores/vector-store.ts';

/*
 * Backends other than the embedded ones (SQLite, the disk, the offline answerer, the local embedder)
 * are imported when the config picks them: their SDKs (AWS, OpenAI, postgres.js, Qdrant) would
 * otherwise be loaded, and held in memory, by every server, the one binary started alone included.
 */

async function chooseLlm(config: Config, overrides: DepsOverrides): Promise<LlmClient> {
  const budgets = { firstTokenMs: config.timeouts.firstTokenMs, silenceMs: config.timeouts.silenceMs };
  if (config.llm?.provider === 'bedrock') {
    const { BedrockLlmClient } = await import('./providers/bedrock-llm-client.ts');
    return new BedrockLlmClient({ ...config.llm, ...budgets, credentials: overrides.bedrockCredentials });
  }
  if (config.llm?.provider === 'openai') {
    const { OpenAiLlmClient } = await import('./providers/openai-llm-client.ts');
    return new OpenAiLlmClient({ ...config.llm, ...budgets });
  }
  return new OfflineLlmClient();
}

/**
 * A request's own budget is ingestion's (a batch of texts); a question is embedded under the
 * retriever's shorter one, which it passes down as a signal.
 */
async function chooseEmbedder(config: Config, overrides: DepsOverrides): Promise<EmbeddingClient> {
  const timeoutMs = config.timeouts.ingestEmbeddingMs;
  if (config.embeddings?.provider === 'bedrock') {
    const { BedrockEmbeddingClient } = await import('./providers/bedrock-embedding-client.ts');
    return new BedrockEmbeddingClient({ ...config.embeddings, timeoutMs, credentials: overrides.bedrockCredentials });
  }
  if (config.embeddings?.provider === 'openai') {
    const { OpenAiEmbeddingClient } = await import('./providers/openai-embedding-client.ts');
    return new OpenAiEmbeddingClient({ ...config.embeddings, timeoutMs });
  }
  return new LocalEmbeddingClient();
}

/**
 * Chats, accounts, the catalog and the fleet's coordination in Postgres when DATABASE_URL is set;
 * null for SQLite. Connections per instance: the pool (DATABASE_POOL_SIZE), the lock pool (4) and
 * the coordinator's one listening connection (infra/README.md counts them for the prod database).
 */
async function openPostgresStores(config: Config, logger: Logger) {
  if (!config.database) return null;
  const [
    { migratePostgres, openPostgres },
    { PostgresChatRepository },
    { PostgresAccountStore },
    { PostgresDocumentCatalog },
    { PostgresCoordinator },
  ] = await Promise.all([
    import('./stores/postgres-database.ts'),
    import('./stores/postgres-chat-repository.ts'),
    import('./stores/postgres-account-store.ts'),
    import('./stores/postgres-document-catalog.ts'),
    import('./fleet/postgres-coordinator.ts'),
  ]);
  // Every connection of this instance carries its id as application name (pg_stat_activity).
  const instanceId = Bun.randomUUIDv7();
  const applicationName = `ragchat/${instanceId}`;
  const pg = openPostgres({
    url: config.database.url,
    poolSize: config.database.poolSize,
    statementTimeoutMs: config.database.timeoutMs,
    applicationName,
  });
  await migratePostgres(pg);
  const pgLocks = openPostgres({ url: config.database.url, poolSize: LOCK_POOL_SIZE, applicationName });
  const coordinator = new PostgresCoordinator(pg, logger, {
    flushMs: config.live.flushMs,
    heartbeatMs: config.live.sweepMs,
    instanceId,
  });
  return {
    repo: new PostgresChatRepository(pg),
    accounts: new PostgresAccountStore(pg),
    catalog: new PostgresDocumentCatalog(pg, pgLocks),
    coordinator,
    connections: config.database.poolSize + LOCK_POOL_SIZE + coordinator.connections,
    close: async () => {
      await coordinator.close();
      await pg.end({ timeout: 5 });
      await pgLocks.end({ timeout: 5 });
    },
  };
}

/** Connections of the pool that holds document locks (advisory locks, held while a document is ingested). */
const LOCK_POOL_SIZE = 4;

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  error?: string;
}

/** Everything the app and the ingest scripts need, built once from the config. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Metrics (served at /metrics) and traces (exported when OTLP is configured). */
  telemetry: Telemetry;
  chat: ChatService;
  /** Retrieval, prompt and answer for one question: the chat's path, also run by `eval-answers`. */
  orchestrator: RagOrchestrator;
  /** Rename, search, feedback, regenerate, edit and resend (src/chat/conversation-tools.ts). */
  conversations: ConversationTools;
  auth: AuthService;
  /** The OpenAI-compatible endpoint's and the MCP server's use cases (src/integrations/). */
  integrations: IntegrationService;
  accounts: AccountStore;
  ingestion: Ingestion;
  repo: ChatRepository;
  /** What the instances of a deployment share: in process, or in Postgres with DATABASE_URL. */
  coordinator: Coordinator;
  /** Postgres connections this instance opens at most (0 without DATABASE_URL). */
  databaseConnections: number;
  /** This instance's id in the fleet: its heartbeat row and its connections' application name (Postgres only). */
  instanceId: string | null;
  vectors: VectorStore;
  catalog: DocumentCatalog;
  documents: DocumentStore;
  embedder: EmbeddingClient;
  llm: LlmClient;
  reranker: Reranker;
  readiness(): Promise<ReadinessCheck[]>;
  close(): Promise<void>;
}

export interface DepsOverrides {
  logger?: Logger;
  llm?: LlmClient;
  embedder?: EmbeddingClient;
  /** Tests pass their own (to read its spans); servers get one from the config. */
  telemetry?: Telemetry;
  /** Export the process's CPU, memory and event-loop series (the server; not one-off commands). */
  processMetrics?: boolean;
  /**
   * Keys for the Bedrock backends built from the config. Tests pass them; production leaves them
   * out, so the SDK's default chain (environment, profile, ECS task role) supplies credentials.
   */
  bedrockCredentials?: { accessKeyId: string; secretAccessKey: string };
  /** Drop the whole index (chunks, vectors, keyword entries, catalog) before opening it: `ingest --reindex`. */
  resetIndex?: boolean;
}

/**
 * The one place that picks each backend from the config. Overrides let tests swap a provider
 * while keeping every other part real.
 */
export async function buildDeps(config: Config, overrides: DepsOverrides = {}): Promise<AppDeps> {
  const telemetry =
    overrides.telemetry ??
    (await Telemetry.create({ tracing: config.tracing, processMetrics: overrides.processMetrics }));
  const baseLogger = overrides.logger ?? createLogger(config.logLevel);
  const logger = telemetry.tracing ? withFields(baseLogger, () => telemetry.logFields()) : baseLogger;
  // SQLite holds whatever has no production backend configured (and the embedded vector index).
  const db: Database = openSqliteDatabase(join(config.dataDir, 'ragchat.sqlite'));
  const pg = await openPostgresStores(config, logger);

  const llm: LlmClient = overrides.llm ?? (await chooseLlm(config, overrides));
  const embedder: EmbeddingClient = overrides.embedder ?? (await chooseEmbedder(config, overrides));

  const repo: ChatRepository = pg?.repo ?? new SqliteChatRepository(db);
  const accounts: AccountStore = pg?.accounts ?? new SqliteAccountStore(db);
  const catalog: DocumentCatalog = pg?.catalog ?? new SqliteDocumentCatalog(db);
  const coordinator: Coordinator = pg?.coordinator ?? new InProcessCoordinator();
  // The local hashing embedder is lexical, like the keyword index but weaker: fused in, it lowers
  // SciFact nDCG@10 from 0.706 to 0.689 at weight 0.1 and 0.59 at 1 (README). So in embedded mode
  // with it the vector side defaults to 0. Qdrant mode keeps both (its fusion runs inside Qdrant,
  // and a Qdrant deployment normally has a real embedding model).
  const weights = {
    keyword: config.retrievalWeights.keyword,
    vector: config.retrievalWeights.vector ?? (embedder instanceof LocalEmbeddingClient && !config.qdrant ? 0 : 1),
  };
  const vectors: VectorStore = config.qdrant
    ? new (await import('./stores/qdrant-vector-store.ts')).QdrantVectorStore({
        ...config.qdrant,
        keywordWeight: weights.keyword,
        vectorWeight: weights.vector,
      })
    : new SqliteVectorStore(db, {
        keywordWeight: weights.keyword,
        vectorWeight: weights.vector,
        trigram: config.retrievalTrigram,
      });
  // Also for `ingest s3://bucket/prefix`, which may read a bucket whatever store holds the documents.
  const openS3 = async (bucket: { bucket: string; prefix: string }): Promise<DocumentStore> => {
    const { S3DocumentStore } = await import('./stores/s3-document-store.ts');
    return new S3DocumentStore({ ...config.s3Connection, ...bucket });
  };
  const documents: DocumentStore = config.docsBucket
    ? await openS3(config.docsBucket)
    : new FilesystemDocumentStore(join(config.dataDir, 'documents'));

  if (overrides.resetIndex) {
    // Drop the vectors and keyword entries, but keep every document, marked pending: the ingest
    // command rebuilds them from their originals (Ingestion.reingestPending), uploads included.
    await vectors.reset();
    for (const doc of await catalog.list())
      await catalog.upsert({ ...doc, contentHash: REINDEX_PENDING, chunkCount: 0 });
  }
  await vectors.open({ model: embedder.model, dimensions: await embedder.dimensions() });
  // One catalog in Postgres needs one index: a second embedded index would never see the
  // documents the first ingested (the catalog says "unchanged"). Refused at start, by name.
  if (pg && vectors instanceof SqliteVectorStore) {
    await pg.coordinator
      .registerEmbeddedIndex({ id: vectors.indexId(), dataDir: config.dataDir, takesOver: overrides.resetIndex })
      .catch(async (error) => {
        await pg.close();
        db.close();
        throw error;
      });
  }
  const auth = new AuthService(accounts, logger, config.auth, coordinator);
  // Without accounts, everything belongs to the one local user; with them, the first admin may
  // come from ADMIN_EMAIL/ADMIN_PASSWORD.
  if (auth.enabled) await auth.bootstrapAdmin(config.auth.bootstrapAdmin);
  else await repo.ensureUser(LOCAL_USER);

  const reranker: Reranker = config.reranker
    ? new InstrumentedReranker(new HttpReranker(config.reranker), telemetry)
    : new NoopReranker();
  // Every use of a provider goes through its measured seam (chat, rewriting, ingestion).
  const measuredLlm = new InstrumentedLlmClient(llm, telemetry, llmProviderName(config, llm));
  const measuredEmbedder = new InstrumentedEmbeddingClient(
    embedder,
    telemetry,
    embeddingsProviderName(config, embedder),
  );
  // Questions asked together share a remote embedder's requests too: a burst of 2,000 questions
  // is a few dozen requests, not 2,000 (each one an outgoing connection and a response to parse on
  // the one thread that also starts every answer). No linger: a lone question goes out at once,
  // and only those that arrived in the same turn of the event loop are grouped.
  const questionEmbedder =
    embedder instanceof LocalEmbeddingClient
      ? measuredEmbedder
      : new BatchingEmbeddingClient(measuredEmbedder, {
          maxBatch: config.embeddings?.provider === 'bedrock' ? 96 : 64,
          maxInFlight: 64,
          lingerMs: 0,
        });
  const retriever = new Retriever(
    questionEmbedder,
    vectors,
    reranker,
    { telemetry, storeBackend: config.qdrant ? 'qdrant' : 'sqlite' },
    { embeddingMs: config.timeouts.embeddingMs, searchMs: config.timeouts.searchMs },
  );
  // With a model, follow-ups are rewritten by it; offline, by the documented heuristic.
  const rewriter = llm.offline
    ? new HeuristicQueryRewriter()
    : new LlmQueryRewriter(measuredLlm, config.timeouts.rewriteMs);
  const orchestrator = new RagOrchestrator(
    retriever,
    measuredLlm,
    rewriter,
    {
      topK: config.topK,
      contextWindowTokens: config.contextWindowTokens,
      maxAnswerTokens: config.maxAnswerTokens,
    },
    telemetry,
  );
  const chat = new ChatService(
    repo,
    orchestrator,
    logger,
    {
      maxMessageChars: config.maxMessageChars,
      historyTurns: config.historyTurns,
      maxStreamsPerUser: config.limits.streamsPerUser,
      answerTimeoutMs: config.timeouts.answerMs,
    },
    telemetry,
    coordinator,
  );
  const ingestion = new Ingestion({
    // Documents ingested together share a remote embedder's requests (BatchingEmbeddingClient);
    // the local embedder has no request to share.
    embedder:
      embedder instanceof LocalEmbeddingClient
        ? measuredEmbedder
        : new BatchingEmbeddingClient(measuredEmbedder, {
            // Cohere on Bedrock takes 96 texts a request; Titan takes one, and the client spreads a
            // shared batch over its own bounded requests, so the batch is its unit of concurrency.
            maxBatch: config.embeddings?.provider === 'bedrock' ? 96 : 64,
            maxInFlight: 4,
          }),
    metrics: telemetry.metrics,
    vectors,
    catalog,
    documents,
    chunking: { chunkSizeTokens: config.chunkSizeTokens, overlapTokens: config.chunkOverlapTokens },
    logger,
    concurrency: config.ingestConcurrency,
    limits: config.documentLimits,
    // `ingest s3://bucket/prefix` reads with the same S3 settings (region, endpoint) as the store.
    openBucket: (bucket, prefix) => openS3({ bucket, prefix }),
  });

  const check = async (name: string, probe: () => Promise<unknown>): Promise<ReadinessCheck> => {
    try {
      await probe();
      return { name, ok: true };
    } catch (error) {
      return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };

  return {
    config,
    logger,
    telemetry,
    chat,
    orchestrator,
    conversations: new ConversationTools(repo, chat),
    auth,
    integrations: new IntegrationService(chat, retriever, auth, catalog, documents, coordinator, {
      topK: config.topK,
      chatPerMinute: config.limits.chatPerMinute,
      documentLimits: config.documentLimits,
    }),
    accounts,
    ingestion,
    repo,
    coordinator,
    databaseConnections: pg?.connections ?? 0,
    instanceId: pg?.coordinator.instanceId ?? null,
    vectors,
    catalog,
    documents,
    embedder,
    llm,
    reranker,
    readiness: () =>
      Promise.all([
        check(pg ? 'database (postgres)' : 'database (sqlite)', () => repo.ping()),
        check(config.qdrant ? 'vector-store (qdrant)' : 'vector-store (sqlite)', () => vectors.ping()),
        check(config.docsBucket ? 'document-store (s3)' : 'document-store (disk)', () => documents.ping()),
        check('llm', () => llm.ping(AbortSignal.timeout(5000))),
      ]),
    close: async () => {
      await telemetry.shutdown();
      await pg?.close();
      db.close();
    },
  };
}

/** The label a provider's series carry: which kind of backend, not its model (that is a span attribute). */
function llmProviderName(config: Config, llm: LlmClient): string {
  if (llm.offline) return 'offline';
  return config.llm?.provider ?? 'custom';
}

function embeddingsProviderName(config: Config, embedder: EmbeddingClient): string {
  if (embedder instanceof LocalEmbeddingClient) return 'local';
  return config.embeddings?.provider ?? 'custom';
}
