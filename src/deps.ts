import { AuthService } from './auth/auth-service.ts';
import { documentStoreFor, s3DocumentStore, vectorStoreFor } from './backends/index-backends.ts';
import { postgresBackends } from './backends/postgres-backends.ts';
import { embedderFor, llmFor } from './backends/providers.ts';
import { sqliteBackends, usesSqlite } from './backends/sqlite-backends.ts';
import { ChatService } from './chat/chat-service.ts';
import { ConversationTools } from './chat/conversation-tools.ts';
import type { Config } from './config.ts';
import { DocumentsService } from './docs/documents-service.ts';
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
import type { Reranker } from './providers/reranker.ts';
import { Ingestion } from './rag/ingestion.ts';
import { HeuristicQueryRewriter, LlmQueryRewriter } from './rag/query-rewriter.ts';
import { RagOrchestrator } from './rag/rag-orchestrator.ts';
import { Retriever } from './rag/retriever.ts';
import type { AccountStore } from './stores/account-store.ts';
import type { ChatRepository } from './stores/chat-repository.ts';
import type { DocumentCatalog } from './stores/document-catalog.ts';
import type { DocumentStore } from './stores/document-store.ts';
import { SqliteVectorStore } from './stores/sqlite-vector-store.ts';
import type { VectorStore } from './stores/vector-store.ts';

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
  /** The documents' use cases (upload, delete, readable-by), shared by the page and the API. */
  documentsService: DocumentsService;
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
  /** What the start-up step (src/startup.ts) does to the backends beyond their seams. */
  backends: BackendStartUp;
  readiness(): Promise<ReadinessCheck[]>;
  close(): Promise<void>;
}

export interface BackendStartUp {
  /** Applies each configured database's pending migrations (Postgres, and the SQLite file when used). */
  migrate(): Promise<void>;
  /**
   * With the catalog in Postgres and the index embedded: records this data folder's index as the
   * one that serves the catalog, refusing a second one (src/fleet/). Null otherwise.
   */
  claimEmbeddedIndex: ((takesOver: boolean) => Promise<void>) | null;
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
}

/**
 * The one place that picks each backend from the config. It builds objects and opens clients,
 * nothing more: migrations, the index reset and the admin bootstrap are the start-up step's
 * (`startUp` in src/startup.ts), which every entry point runs next. Overrides let tests swap a
 * provider while keeping every other part real. A little over a screen: the construction of each
 * service is a step, and the list of what it returns mirrors AppDeps.
 */
export async function buildDeps(config: Config, overrides: DepsOverrides = {}): Promise<AppDeps> {
  const telemetry =
    overrides.telemetry ??
    (await Telemetry.create({ tracing: config.tracing, processMetrics: overrides.processMetrics }));
  const baseLogger = overrides.logger ?? createLogger(config.logLevel);
  const logger = telemetry.tracing ? withFields(baseLogger, () => telemetry.logFields()) : baseLogger;
  const llm: LlmClient = overrides.llm ?? (await llmFor(config, overrides.bedrockCredentials));
  const embedder: EmbeddingClient = overrides.embedder ?? (await embedderFor(config, overrides.bedrockCredentials));
  const stores = await storesFor(config, embedder, logger);
  const { repo, accounts, catalog, coordinator, vectors, documents } = stores;
  const auth = new AuthService(accounts, logger, config.auth, coordinator);
  const reranker: Reranker = config.reranker
    ? new InstrumentedReranker(new HttpReranker(config.reranker), telemetry)
    : new NoopReranker();
  // Every use of a provider goes through its measured seam (chat, rewriting, ingestion).
  const measuredLlm = new InstrumentedLlmClient(llm, telemetry, llmProviderName(config, llm));
  const embedders = {
    raw: embedder,
    measured: new InstrumentedEmbeddingClient(embedder, telemetry, embeddingsProviderName(config, embedder)),
  };
  const orchestrator = orchestratorFor(config, { embedder: embedders, llm: measuredLlm, vectors, reranker }, telemetry);
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
  const ingestion = ingestionFor(config, { embedder: embedders, vectors, catalog, documents, logger }, telemetry);
  return {
    config,
    logger,
    telemetry,
    chat,
    orchestrator,
    conversations: new ConversationTools(repo, chat),
    auth,
    integrations: new IntegrationService(chat, orchestrator.retriever, auth, catalog, documents, coordinator, {
      topK: config.topK,
      chatPerMinute: config.limits.chatPerMinute,
      documentLimits: config.documentLimits,
    }),
    accounts,
    ingestion,
    documentsService: new DocumentsService({ ingestion, catalog, documents, auth, uploads: config.uploads }),
    repo,
    coordinator,
    databaseConnections: stores.connections,
    instanceId: stores.instanceId,
    vectors,
    catalog,
    documents,
    embedder,
    llm,
    reranker,
    backends: stores.startUp,
    readiness: () => readiness(config, stores, llm),
    close: async () => {
      await telemetry.shutdown();
      await stores.close();
    },
  };
}

/**
 * The stores, each from its backend: Postgres (DATABASE_URL) for chats, accounts, the catalog and
 * the fleet, Qdrant (QDRANT_URL) for the index, S3 (DOCS_BUCKET) for the originals; SQLite and the
 * disk for whatever has none configured. The SQLite file is opened only when one of them lives in it.
 */
async function storesFor(config: Config, embedder: EmbeddingClient, logger: Logger) {
  const sqlite = usesSqlite(config) ? sqliteBackends(config) : null;
  const pg = config.database ? await postgresBackends(config.database, config.live, logger) : null;
  // Exactly one of them holds the chats; the checks below only convince the type checker.
  const relational = pg ?? sqlite;
  if (!relational) throw new Error('unreachable: without DATABASE_URL the chats live in SQLite');
  const embeddedDb = () => {
    if (!sqlite) throw new Error('unreachable: without QDRANT_URL the index lives in SQLite');
    return sqlite.db;
  };
  // The local hashing embedder is lexical, like the keyword index but weaker: fused in, it lowers
  // SciFact nDCG@10 from 0.706 to 0.689 at weight 0.1 and 0.59 at 1 (README). So in embedded mode
  // with it the vector side defaults to 0. Qdrant mode keeps both (its fusion runs inside Qdrant,
  // and a Qdrant deployment normally has a real embedding model).
  const weights = {
    keyword: config.retrievalWeights.keyword,
    vector: config.retrievalWeights.vector ?? (embedder instanceof LocalEmbeddingClient && !config.qdrant ? 0 : 1),
  };
  const vectors = await vectorStoreFor(config, weights, embeddedDb);
  const documents = await documentStoreFor(config);
  const coordinator: Coordinator = pg?.coordinator ?? new InProcessCoordinator();
  // One catalog in Postgres needs one index: a second embedded index would never see the
  // documents the first ingested (the catalog says "unchanged"). Refused at start, by name.
  const claimEmbeddedIndex =
    pg && vectors instanceof SqliteVectorStore
      ? (takesOver: boolean) =>
          pg.coordinator.registerEmbeddedIndex({ id: vectors.indexId(), dataDir: config.dataDir, takesOver })
      : null;
  return {
    repo: relational.repo as ChatRepository,
    accounts: relational.accounts as AccountStore,
    catalog: relational.catalog as DocumentCatalog,
    coordinator,
    vectors,
    documents,
    postgres: pg !== null,
    connections: pg?.connections ?? 0,
    instanceId: pg?.coordinator.instanceId ?? null,
    startUp: {
      migrate: async () => {
        await pg?.migrate();
        await sqlite?.migrate();
      },
      claimEmbeddedIndex,
    } satisfies BackendStartUp,
    close: async () => {
      await pg?.close();
      await sqlite?.close();
    },
  };
}

/** Retrieval, prompt and answer: the chat's path. */
function orchestratorFor(
  config: Config,
  parts: {
    embedder: { raw: EmbeddingClient; measured: EmbeddingClient };
    llm: LlmClient;
    vectors: VectorStore;
    reranker: Reranker;
  },
  telemetry: Telemetry,
): RagOrchestrator {
  // Questions asked together share a remote embedder's requests too: a burst of 2,000 questions
  // is a few dozen requests, not 2,000 (each one an outgoing connection and a response to parse on
  // the one thread that also starts every answer). No linger: a lone question goes out at once,
  // and only those that arrived in the same turn of the event loop are grouped.
  const questionEmbedder = sharedRequests(config, parts.embedder, { maxInFlight: 64, lingerMs: 0 });
  const retriever = new Retriever(
    questionEmbedder,
    parts.vectors,
    parts.reranker,
    { telemetry, storeBackend: config.qdrant ? 'qdrant' : 'sqlite' },
    { embeddingMs: config.timeouts.embeddingMs, searchMs: config.timeouts.searchMs },
  );
  // With a model, follow-ups are rewritten by it; offline, by the documented heuristic.
  const rewriter = parts.llm.offline
    ? new HeuristicQueryRewriter()
    : new LlmQueryRewriter(parts.llm, config.timeouts.rewriteMs);
  return new RagOrchestrator(
    retriever,
    parts.llm,
    rewriter,
    {
      topK: config.topK,
      contextWindowTokens: config.contextWindowTokens,
      maxAnswerTokens: config.maxAnswerTokens,
    },
    telemetry,
  );
}

function ingestionFor(
  config: Config,
  parts: Pick<AppDeps, 'vectors' | 'catalog' | 'documents' | 'logger'> & {
    embedder: { raw: EmbeddingClient; measured: EmbeddingClient };
  },
  telemetry: Telemetry,
): Ingestion {
  return new Ingestion({
    // Documents ingested together share a remote embedder's requests (BatchingEmbeddingClient).
    embedder: sharedRequests(config, parts.embedder, { maxInFlight: 4 }),
    metrics: telemetry.metrics,
    vectors: parts.vectors,
    catalog: parts.catalog,
    documents: parts.documents,
    chunking: { chunkSizeTokens: config.chunkSizeTokens, overlapTokens: config.chunkOverlapTokens },
    logger: parts.logger,
    concurrency: config.ingestConcurrency,
    limits: config.documentLimits,
    // `ingest s3://bucket/prefix` reads with the same S3 settings (region, endpoint) as the store.
    openBucket: (bucket, prefix) => s3DocumentStore(config, { bucket, prefix }),
  });
}

/**
 * A remote embedder behind a BatchingEmbeddingClient; the local embedder has no request to share.
 * Cohere on Bedrock takes 96 texts a request; Titan takes one, and the client spreads a shared
 * batch over its own bounded requests, so the batch is its unit of concurrency.
 */
function sharedRequests(
  config: Config,
  embedder: { raw: EmbeddingClient; measured: EmbeddingClient },
  options: { maxInFlight: number; lingerMs?: number },
): EmbeddingClient {
  if (embedder.raw instanceof LocalEmbeddingClient) return embedder.measured;
  return new BatchingEmbeddingClient(embedder.measured, {
    maxBatch: config.embeddings?.provider === 'bedrock' ? 96 : 64,
    ...options,
  });
}

async function readiness(
  config: Config,
  stores: { postgres: boolean; repo: ChatRepository; vectors: VectorStore; documents: DocumentStore },
  llm: LlmClient,
): Promise<ReadinessCheck[]> {
  const check = async (name: string, probe: () => Promise<unknown>): Promise<ReadinessCheck> => {
    try {
      await probe();
      return { name, ok: true };
    } catch (error) {
      return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };
  return Promise.all([
    check(stores.postgres ? 'database (postgres)' : 'database (sqlite)', () => stores.repo.ping()),
    check(config.qdrant ? 'vector-store (qdrant)' : 'vector-store (sqlite)', () => stores.vectors.ping()),
    check(config.docsBucket ? 'document-store (s3)' : 'document-store (disk)', () => stores.documents.ping()),
    check('llm', () => llm.ping(AbortSignal.timeout(5000))),
  ]);
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
