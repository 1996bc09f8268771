import { z } from 'zod';
import { MIN_PASSWORD_CHARS } from './domain.ts';
import { type ProxyTrust, parseProxyTrust } from './http/forwarding.ts';
import { allowedHosts, LOOPBACK_NAMES, validHostEntry } from './http/host-policy.ts';
import { LOCALES, type Locale } from './i18n/locale.ts';
import { BEDROCK_EMBEDDING_MODELS, type BedrockEmbeddingModel } from './providers/bedrock-embedding-models.ts';

/**
 * Every setting ragchat reads, parsed once from the environment at start. Nothing else reads
 * `process.env`. Empty strings count as unset so that `FOO=` in a compose file means "default".
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url({ protocol: /^https?$/ }).optional())
  .optional();

const optionalUrlOf = (protocols: RegExp, example: string) =>
  z
    .string()
    .trim()
    .pipe(z.url({ protocol: protocols, error: `must be a URL like ${example}` }))
    .optional();

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .default(fallback);

const MIN_PROMPT_TOKENS = 1024;

/** The sample corpus in a checkout; the compiled binary carries its own copy (src/seed.ts). */
export const DEFAULT_SEED_DOCS_DIR = './ingest/sample-docs';

/** Without LLM_MODEL, the OpenAI-compatible answerer asks for this model. */
const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';
const OPENAI_DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';
const BEDROCK_EXAMPLE_MODEL = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';

const isBedrockEmbeddingModel = (model: string | undefined): model is BedrockEmbeddingModel =>
  model !== undefined && Object.hasOwn(BEDROCK_EMBEDDING_MODELS, model);

const ConfigSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    SEED_DOCS_DIR: z.string().trim().default(DEFAULT_SEED_DOCS_DIR),
    MAX_MESSAGE_CHARS: positiveInt(4000, 100_000),
    DEFAULT_LANGUAGE: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }))
      .default('en'),
    RETRIEVAL_TOP_K: positiveInt(6, 50),
    CHUNK_SIZE_TOKENS: positiveInt(512, 8000),
    CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).max(4000).default(64),
    CONTEXT_WINDOW_TOKENS: positiveInt(8192, 2_000_000),
    MAX_ANSWER_TOKENS: positiveInt(1024, 100_000),
    HISTORY_TURNS: z.coerce.number().int().min(0).max(100).default(6),
    OPENAI_API_KEY: optionalString,
    LLM_BASE_URL: optionalUrl,
    LLM_PROVIDER: z.enum(['offline', 'openai', 'bedrock']).optional(),
    LLM_MODEL: z.string().trim().min(1).optional(),
    EMBEDDINGS_BASE_URL: optionalUrl,
    EMBEDDINGS_API_KEY: optionalString,
    EMBEDDINGS_PROVIDER: z.enum(['local', 'openai', 'bedrock']).optional(),
    EMBEDDING_MODEL: z.string().trim().min(1).optional(),
    EMBEDDING_DIMENSIONS: z.coerce.number().int().min(1).optional(),
    BEDROCK_REGION: z
      .string()
      .trim()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region like us-east-1')
      .optional(),
    BEDROCK_ENDPOINT: optionalUrlOf(/^https?$/, 'https://bedrock-runtime.us-east-1.amazonaws.com'),
    HEARTBEAT_MS: positiveInt(10_000, 14_000),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    DATABASE_URL: optionalUrlOf(/^postgres(ql)?$/, 'postgres://user:password@host:5432/db'),
    DATABASE_POOL_SIZE: positiveInt(10, 1000),
    // Connections that hold documents' advisory locks while they are ingested (see
    // PostgresDocumentCatalog): documents locked at once beyond this wait for a connection.
    DATABASE_LOCK_POOL_SIZE: positiveInt(4, 100),
    // Several instances on one database (src/fleet/): how often a writer stores the partial text of
    // its answers for followers elsewhere, and how often each instance sweeps for answers whose
    // writer died (three missed sweeps and an answer is failed).
    LIVE_FLUSH_MS: z.coerce.number().int().min(20).max(5_000).default(200),
    ANSWER_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    QDRANT_URL: optionalUrlOf(/^https?$/, 'http://localhost:6333'),
    QDRANT_API_KEY: optionalString,
    QDRANT_COLLECTION: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, _ and - only')
      .default('ragchat'),
    DOCS_BUCKET: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
      .optional(),
    // A prefix of its own by default: repair never touches what else the bucket holds.
    DOCS_PREFIX: z
      .string()
      .trim()
      .regex(/^[^/].*\/$|^$/, 'must end with / (or be empty)')
      .default('documents/'),
    S3_REGION: z.string().trim().min(1).default('us-east-1'),
    S3_ENDPOINT: optionalUrlOf(/^https?$/, 'http://localhost:9000'),
    S3_FORCE_PATH_STYLE: flag(false),
    STORE_TIMEOUT_MS: positiveInt(10_000, 600_000),
    RETRIEVAL_KEYWORD_WEIGHT: z.coerce.number().min(0).max(10).default(1),
    RETRIEVAL_TRIGRAM: z.enum(['fallback', 'always']).default('fallback'),
    RETRIEVAL_VECTOR_WEIGHT: z.coerce.number().min(0).max(10).optional(),
    RERANK_BASE_URL: optionalUrlOf(/^https?$/, 'http://localhost:8080'),
    RERANK_MODEL: z.string().trim().min(1).default('BAAI/bge-reranker-base'),
    RERANK_API_KEY: optionalString,
    INGEST_CONCURRENCY: positiveInt(16, 256),
    RATE_LIMIT_CHAT_PER_MINUTE: positiveInt(30, 100_000),
    RATE_LIMIT_UPLOADS_PER_MINUTE: positiveInt(20, 100_000),
    MAX_STREAMS_PER_USER: positiveInt(3, 1_000_000),
    TRUST_PROXY: z
      .string()
      .trim()
      .default('false')
      .transform((value, ctx) => {
        try {
          return parseProxyTrust(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `must be ${(error as Error).message}` });
          return z.NEVER;
        }
      }),
    PUBLIC_URL: optionalUrlOf(/^https?$/, 'https://chat.example.com'),
    ALLOWED_HOSTS: z
      .string()
      .trim()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      )
      .refine(
        (hosts) => hosts.every(validHostEntry),
        'must be host names separated by commas, like chat.example.com,*.internal.example',
      ),
    // Bun takes at most 255 s (it keeps the value in one byte, in 4 s steps).
    IDLE_TIMEOUT_S: positiveInt(30, 255),
    REQUEST_TIMEOUT_S: positiveInt(60, 3600),
    UPLOAD_TIMEOUT_S: positiveInt(600, 3600),
    MAX_REQUESTS_PER_ADDRESS: z.coerce.number().int().min(0).max(100_000).default(100),
    DOCUMENT_MAX_BYTES: positiveInt(50 * 1024 * 1024, 2 * 1024 * 1024 * 1024),
    PDF_MAX_PAGES: positiveInt(500, 100_000),
    UPLOAD_MAX_BYTES: positiveInt(20 * 1024 * 1024, 1024 * 1024 * 1024),
    UPLOAD_ALLOWED_TYPES: z
      .string()
      .trim()
      .regex(/^\.[a-z0-9]+(,\s*\.[a-z0-9]+)*$/i, 'a comma-separated list of extensions like .md,.txt')
      .default('.md,.markdown,.txt,.html,.htm,.pdf,.docx'),
    AUTH_MODE: z.enum(['none', 'password']).default('none'),
    ALLOW_SIGNUP: flag(false),
    ADMIN_EMAIL: z.email('must be an email address').optional(),
    ADMIN_PASSWORD: optionalString,
    SESSION_DAYS: positiveInt(14, 365),
    RATE_LIMIT_LOGINS_PER_MINUTE: positiveInt(10, 10_000),
    METRICS_TOKEN: z
      .string()
      .trim()
      .min(16, 'must be at least 16 characters (a random secret; `openssl rand -hex 24` makes one)')
      .optional(),
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    OTEL_SDK_DISABLED: flag(false),
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrlOf(/^https?$/, 'http://localhost:4318'),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrlOf(/^https?$/, 'http://localhost:4318/v1/traces'),
    OTEL_EXPORTER_OTLP_HEADERS: z
      .string()
      .trim()
      .regex(/^[^=,\s]+=[^,]*(,\s*[^=,\s]+=[^,]*)*$/, 'must be key=value pairs separated by commas')
      .optional(),
    OTEL_EXPORTER_OTLP_PROTOCOL: z
      .enum(['http/protobuf'], { error: 'only http/protobuf is supported (the OTLP default)' })
      .optional(),
    OTEL_SERVICE_NAME: z.string().trim().min(1).default('ragchat'),
    OTEL_RECORD_CONTENT: flag(false),

    // ---- Time budgets: one per phase of an answer (README, "Time budgets"); see timeoutsFrom. ----
    /** Before the phase budgets: the LLM's wait for its first answer and between fragments, and an embedding request's. */
    LLM_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
    EMBEDDING_TIMEOUT_MS: positiveInt(10_000, 600_000),
    INGEST_EMBEDDING_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).optional(),
    SEARCH_TIMEOUT_MS: positiveInt(10_000, 600_000),
    QUERY_REWRITE_TIMEOUT_MS: positiveInt(5000, 600_000),
    LLM_FIRST_TOKEN_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).optional(),
    LLM_SILENCE_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).optional(),
    ANSWER_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).optional(),
    // ---- end of time budgets ----
  })
  // The OpenAI default model means nothing on Bedrock, and a wrong guess would only fail at the
  // first question; so Bedrock's model is asked for by name.
  .refine((c) => c.LLM_PROVIDER !== 'bedrock' || c.LLM_MODEL !== undefined, {
    path: ['LLM_MODEL'],
    message: `is required with LLM_PROVIDER=bedrock: a Bedrock model or inference-profile id, e.g. ${BEDROCK_EXAMPLE_MODEL}`,
  })
  .refine((c) => c.LLM_PROVIDER !== 'openai' || c.OPENAI_API_KEY !== undefined || c.LLM_BASE_URL !== undefined, {
    path: ['LLM_PROVIDER'],
    message: 'openai needs OPENAI_API_KEY (for OpenAI) or LLM_BASE_URL (for a compatible server)',
  })
  .refine(
    (c) =>
      c.EMBEDDINGS_PROVIDER !== 'openai' ||
      c.EMBEDDINGS_BASE_URL !== undefined ||
      c.EMBEDDINGS_API_KEY !== undefined ||
      c.OPENAI_API_KEY !== undefined,
    {
      path: ['EMBEDDINGS_PROVIDER'],
      message: 'openai needs EMBEDDINGS_BASE_URL, or a key (EMBEDDINGS_API_KEY or OPENAI_API_KEY) for OpenAI',
    },
  )
  .refine((c) => c.EMBEDDINGS_PROVIDER !== 'bedrock' || isBedrockEmbeddingModel(c.EMBEDDING_MODEL), {
    path: ['EMBEDDING_MODEL'],
    message: `must be one of ${Object.keys(BEDROCK_EMBEDDING_MODELS).join(', ')} with EMBEDDINGS_PROVIDER=bedrock`,
  })
  // Titan v2 is asked for its size (256, 512 or 1024); Cohere v3 has one. Other backends report
  // theirs, so the setting would be silently ignored there: it is refused instead.
  .superRefine((c, ctx) => {
    if (c.EMBEDDING_DIMENSIONS === undefined) return;
    const path = ['EMBEDDING_DIMENSIONS'];
    if (embeddingsProviderOf(c) !== 'bedrock') {
      ctx.addIssue({ code: 'custom', path, message: 'applies only with EMBEDDINGS_PROVIDER=bedrock' });
      return;
    }
    if (!isBedrockEmbeddingModel(c.EMBEDDING_MODEL)) return;
    const sizes: readonly number[] = BEDROCK_EMBEDDING_MODELS[c.EMBEDDING_MODEL].dimensions;
    if (!sizes.includes(c.EMBEDDING_DIMENSIONS))
      ctx.addIssue({ code: 'custom', path, message: `must be ${sizes.join(', ')} for ${c.EMBEDDING_MODEL}` });
  })
  .refine((c) => c.RETRIEVAL_KEYWORD_WEIGHT > 0 || c.RETRIEVAL_VECTOR_WEIGHT !== 0, {
    path: ['RETRIEVAL_VECTOR_WEIGHT'],
    message: 'and RETRIEVAL_KEYWORD_WEIGHT cannot both be 0',
  })
  .refine((c) => (c.ADMIN_EMAIL === undefined) === (c.ADMIN_PASSWORD === undefined), {
    path: ['ADMIN_PASSWORD'],
    message: 'and ADMIN_EMAIL go together: set both to create the first admin, or neither',
  })
  .refine((c) => c.ADMIN_PASSWORD === undefined || c.ADMIN_PASSWORD.length >= MIN_PASSWORD_CHARS, {
    path: ['ADMIN_PASSWORD'],
    message: `must be at least ${MIN_PASSWORD_CHARS} characters`,
  })
  // A server reachable from other machines with accounts on must know the name people open: a
  // DNS-rebinding page could otherwise drive it under any name.
  .refine(
    (c) =>
      c.AUTH_MODE !== 'password' ||
      LOOPBACK_NAMES.includes(c.HOST) ||
      c.HOST === 'localhost' ||
      c.PUBLIC_URL !== undefined ||
      c.ALLOWED_HOSTS.length > 0,
    {
      path: ['ALLOWED_HOSTS'],
      message:
        'is required with AUTH_MODE=password when HOST is not a loopback address: the names people open (chat.example.com), or set PUBLIC_URL',
    },
  )
  .refine((c) => c.METRICS_PORT === undefined || c.METRICS_PORT !== c.PORT, {
    path: ['METRICS_PORT'],
    message: 'must differ from PORT (it is a second listener, for /metrics only)',
  })
  .refine((c) => c.CHUNK_OVERLAP_TOKENS < c.CHUNK_SIZE_TOKENS, {
    path: ['CHUNK_OVERLAP_TOKENS'],
    message: 'must be smaller than CHUNK_SIZE_TOKENS',
  })
  .refine((c) => c.ANSWER_TIMEOUT_MS === undefined || c.ANSWER_TIMEOUT_MS > timeoutsFrom(c).firstTokenMs, {
    path: ['ANSWER_TIMEOUT_MS'],
    message:
      'must be longer than LLM_FIRST_TOKEN_TIMEOUT_MS (or LLM_TIMEOUT_MS): the answer would end before the model may start',
  })
  // The prompt's instructions, question and passages need room beside the answer's reserve;
  // without it every answer would silently be "not in the documents".
  .refine((c) => c.CONTEXT_WINDOW_TOKENS >= c.MAX_ANSWER_TOKENS + MIN_PROMPT_TOKENS, {
    path: ['CONTEXT_WINDOW_TOKENS'],
    message: `must be at least MAX_ANSWER_TOKENS + ${MIN_PROMPT_TOKENS} (room for the instructions, question and passages)`,
  });

type RawConfig = z.infer<typeof ConfigSchema>;

/** Unset keeps the behaviour from before the setting existed: a key or a URL chooses OpenAI. */
function llmProviderOf(c: Pick<RawConfig, 'LLM_PROVIDER' | 'OPENAI_API_KEY' | 'LLM_BASE_URL'>) {
  return c.LLM_PROVIDER ?? (c.OPENAI_API_KEY !== undefined || c.LLM_BASE_URL !== undefined ? 'openai' : 'offline');
}

function embeddingsProviderOf(c: Pick<RawConfig, 'EMBEDDINGS_PROVIDER' | 'EMBEDDINGS_BASE_URL'>) {
  return c.EMBEDDINGS_PROVIDER ?? (c.EMBEDDINGS_BASE_URL !== undefined ? 'openai' : 'local');
}

/** How long each phase of an answer may take, retries included (README, "Time budgets"). */
export interface Timeouts {
  /** Embedding the question. */
  readonly embeddingMs: number;
  /** One embedding request while ingesting (a batch of up to 64 or 96 texts). */
  readonly ingestEmbeddingMs: number;
  /** The store's search and the reranker, together. */
  readonly searchMs: number;
  /** The model's rewrite of a follow-up; past it, the heuristic's rewrite is searched. */
  readonly rewriteMs: number;
  /** From the call to the model's first words. */
  readonly firstTokenMs: number;
  /** Between two fragments of an answer. */
  readonly silenceMs: number;
  /** The whole answer, from the question to its last word. */
  readonly answerMs: number;
}

/** Typed apart from the schema, which refers to timeoutsFrom in a refinement. */
interface BudgetVariables {
  LLM_TIMEOUT_MS?: number;
  EMBEDDING_TIMEOUT_MS: number;
  INGEST_EMBEDDING_TIMEOUT_MS?: number;
  SEARCH_TIMEOUT_MS: number;
  QUERY_REWRITE_TIMEOUT_MS: number;
  LLM_FIRST_TOKEN_TIMEOUT_MS?: number;
  LLM_SILENCE_TIMEOUT_MS?: number;
  ANSWER_TIMEOUT_MS?: number;
}

const DEFAULT_FIRST_TOKEN_MS = 60_000;
const DEFAULT_SILENCE_MS = 30_000;
const DEFAULT_INGEST_EMBEDDING_MS = 120_000;
const DEFAULT_ANSWER_MS = 180_000;

/**
 * LLM_TIMEOUT_MS, set before the phase budgets existed, meant "wait this long for the provider's
 * first answer and between two fragments" (per attempt, and the SDK tried three times). It still
 * sets the first-token and silence budgets and an ingest embedding request's, now retries included,
 * unless their own variables are set; the whole answer then gets at least a minute past it.
 */
function timeoutsFrom(raw: BudgetVariables): Timeouts {
  const firstTokenMs = raw.LLM_FIRST_TOKEN_TIMEOUT_MS ?? raw.LLM_TIMEOUT_MS ?? DEFAULT_FIRST_TOKEN_MS;
  return {
    embeddingMs: raw.EMBEDDING_TIMEOUT_MS,
    ingestEmbeddingMs: raw.INGEST_EMBEDDING_TIMEOUT_MS ?? raw.LLM_TIMEOUT_MS ?? DEFAULT_INGEST_EMBEDDING_MS,
    searchMs: raw.SEARCH_TIMEOUT_MS,
    rewriteMs: raw.QUERY_REWRITE_TIMEOUT_MS,
    firstTokenMs,
    silenceMs: raw.LLM_SILENCE_TIMEOUT_MS ?? raw.LLM_TIMEOUT_MS ?? DEFAULT_SILENCE_MS,
    answerMs: raw.ANSWER_TIMEOUT_MS ?? Math.max(DEFAULT_ANSWER_MS, firstTokenMs + 60_000),
  };
}

/** Where Bedrock is called; the credentials always come from the AWS SDK's default chain. */
export interface BedrockSettings {
  /** Absent: the SDK's region chain (AWS_REGION, the profile, ...). */
  region?: string;
  endpoint?: string;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Folder ingested on first start when the store is empty; `off` turns seeding off. */
  readonly seedDocsDir: string;
  readonly maxMessageChars: number;
  /**
   * The interface's language when neither the picker's cookie nor the browser's Accept-Language
   * names one ragchat has. @default 'en'
   */
  readonly defaultLanguage: Locale;
  readonly topK: number;
  readonly chunkSizeTokens: number;
  readonly chunkOverlapTokens: number;
  readonly contextWindowTokens: number;
  readonly maxAnswerTokens: number;
  readonly historyTurns: number;
  /** Present when a chat model is configured (OpenAI-compatible or Bedrock); absent means the offline answerer. */
  readonly llm?:
    | { provider: 'openai'; apiKey?: string; baseURL?: string; model: string }
    | ({ provider: 'bedrock'; model: string } & BedrockSettings);
  /** Present when a remote embedder is configured (OpenAI-compatible or Bedrock); absent means the local embedder. */
  readonly embeddings?:
    | { provider: 'openai'; apiKey?: string; baseURL?: string; model: string }
    | ({ provider: 'bedrock'; model: BedrockEmbeddingModel; dimensions: number } & BedrockSettings);
  /** One budget per phase of an answer (the llm and embeddings above keep to them). */
  readonly timeouts: Timeouts;
  readonly heartbeatMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Present when history and the document catalog live in Postgres; absent means SQLite. */
  readonly database?: { url: string; poolSize: number; lockPoolSize: number; timeoutMs: number };
  /**
   * The fleet (src/fleet/): `flushMs`, how often partial answers are stored for followers on other
   * instances (Postgres only); `sweepMs`, how often answers whose writer died are looked for.
   */
  readonly live: { flushMs: number; sweepMs: number };
  /** Present when vectors live in Qdrant; absent means SQLite. */
  readonly qdrant?: { url: string; apiKey?: string; collection: string; timeoutMs: number };
  /** How to reach S3 (or MinIO): for the document store and for `ingest s3://...`. */
  readonly s3Connection: { region: string; endpoint?: string; forcePathStyle: boolean; timeoutMs: number };
  /** Present when originals live in an S3 bucket; absent means the local disk. */
  readonly docsBucket?: { bucket: string; prefix: string };
  readonly uploads: { maxBytes: number; allowedExtensions: string[] };
  /** Present when a cross-encoder reranks retrieved passages; absent keeps the fused order. */
  readonly reranker?: { baseURL: string; model: string; apiKey?: string; timeoutMs: number };
  /**
   * Weights of the keyword and vector rankings in the fusion. The vector weight is absent unless
   * set: its default then depends on the embedder (see deps.ts).
   */
  readonly retrievalWeights: { keyword: number; vector?: number };
  /** When the embedded keyword search also asks its trigram index (see SqliteVectorStore.keywordSearch). */
  readonly retrievalTrigram: 'fallback' | 'always';
  /** Requests per minute per user and per client address; concurrent answers per user. */
  readonly limits: { chatPerMinute: number; uploadsPerMinute: number; streamsPerUser: number };
  /** Which proxies may say who the client is and whether it came over HTTPS (X-Forwarded-For, -Proto). */
  readonly trustProxy: ProxyTrust;
  /** The names the server answers to (`Host`); any other is refused before anything else runs. */
  readonly allowedHosts: readonly string[];
  /** The address people open, when set: its origin counts as this site's own in the CSRF checks. */
  readonly publicOrigin?: string;
  /**
   * Connection hygiene (src/http/connection-limits.ts). `idleTimeoutS`: a keep-alive socket with no
   * request is closed after it. `requestTimeoutS` / `uploadTimeoutS`: a request, its body included,
   * must be answered within it (streams and answers lift it; the LLM timeouts bound them).
   * `maxRequestsPerAddress`: requests and streams in flight per client address, 0 for no cap.
   */
  readonly connections: {
    idleTimeoutS: number;
    requestTimeoutS: number;
    uploadTimeoutS: number;
    maxRequestsPerAddress: number;
  };
  /** Limits for one document, from any source. */
  readonly documentLimits: { maxBytes: number; maxPages: number };
  /**
   * Who may read `/metrics`. `token`: a Bearer token on the main port. `port`: a second listener
   * serving only `/metrics` (for a scraper inside the network). With accounts on and neither set,
   * `/metrics` is not served: metrics never become public by accident.
   */
  readonly metrics: { token?: string; port?: number; open: boolean };
  /** Present when traces are exported over OTLP/HTTP (protobuf). */
  readonly tracing?: { url: string; headers: Record<string, string>; serviceName: string; recordContent: boolean };
  /** Documents ingested at once (each embeds its chunks in batches). */
  readonly ingestConcurrency: number;
  /**
   * `none`: one local user, no login (a laptop). `password`: accounts, sessions and API tokens.
   * `bootstrapAdmin` is created at start when no admin exists yet.
   */
  readonly auth: {
    mode: 'none' | 'password';
    allowSignup: boolean;
    sessionDays: number;
    loginsPerMinute: number;
    bootstrapAdmin?: { email: string; password: string };
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parse the environment, reporting every bad variable by name in one error. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = ConfigSchema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      // Keys and URLs (which may carry credentials) are never echoed back.
      const shown =
        value === undefined || /KEY|SECRET|PASSWORD|TOKEN|URL|ENDPOINT|HEADERS/.test(name) ? '' : ` (got "${value}")`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  return Object.freeze(toConfig(parsed.data));
}

/**
 * The validated variables as the typed config. Long, and left so: it is one table from variable
 * to setting, read top to bottom beside the Config interface; split, the mapping would be harder
 * to check against it.
 */
function toConfig(raw: RawConfig): Config {
  const bedrock: BedrockSettings = { region: raw.BEDROCK_REGION, endpoint: raw.BEDROCK_ENDPOINT };
  const llmProvider = llmProviderOf(raw);
  const embeddingsProvider = embeddingsProviderOf(raw);
  return {
    port: raw.PORT,
    host: raw.HOST,
    dataDir: raw.DATA_DIR,
    seedDocsDir: raw.SEED_DOCS_DIR === 'off' ? '' : raw.SEED_DOCS_DIR,
    maxMessageChars: raw.MAX_MESSAGE_CHARS,
    defaultLanguage: raw.DEFAULT_LANGUAGE,
    topK: raw.RETRIEVAL_TOP_K,
    chunkSizeTokens: raw.CHUNK_SIZE_TOKENS,
    chunkOverlapTokens: raw.CHUNK_OVERLAP_TOKENS,
    contextWindowTokens: raw.CONTEXT_WINDOW_TOKENS,
    maxAnswerTokens: raw.MAX_ANSWER_TOKENS,
    historyTurns: raw.HISTORY_TURNS,
    llm:
      llmProvider === 'bedrock'
        ? { provider: 'bedrock', model: raw.LLM_MODEL as string, ...bedrock }
        : llmProvider === 'openai'
          ? {
              provider: 'openai',
              apiKey: raw.OPENAI_API_KEY,
              baseURL: raw.LLM_BASE_URL,
              model: raw.LLM_MODEL ?? OPENAI_DEFAULT_MODEL,
            }
          : undefined,
    // Embeddings follow the chat provider only when asked: a local Ollama chat model does not
    // imply an embedding endpoint, and switching embedders means re-indexing.
    embeddings:
      embeddingsProvider === 'bedrock'
        ? {
            provider: 'bedrock',
            model: raw.EMBEDDING_MODEL as BedrockEmbeddingModel,
            dimensions: raw.EMBEDDING_DIMENSIONS ?? 1024,
            ...bedrock,
          }
        : embeddingsProvider === 'openai'
          ? {
              provider: 'openai',
              apiKey: raw.EMBEDDINGS_API_KEY ?? raw.OPENAI_API_KEY,
              baseURL: raw.EMBEDDINGS_BASE_URL,
              model: raw.EMBEDDING_MODEL ?? OPENAI_DEFAULT_EMBEDDING_MODEL,
            }
          : undefined,
    timeouts: timeoutsFrom(raw),
    heartbeatMs: raw.HEARTBEAT_MS,
    live: { flushMs: raw.LIVE_FLUSH_MS, sweepMs: raw.ANSWER_SWEEP_MS },
    logLevel: raw.LOG_LEVEL,
    database: raw.DATABASE_URL
      ? {
          url: raw.DATABASE_URL,
          poolSize: raw.DATABASE_POOL_SIZE,
          lockPoolSize: raw.DATABASE_LOCK_POOL_SIZE,
          timeoutMs: raw.STORE_TIMEOUT_MS,
        }
      : undefined,
    qdrant: raw.QDRANT_URL
      ? {
          url: raw.QDRANT_URL,
          apiKey: raw.QDRANT_API_KEY,
          collection: raw.QDRANT_COLLECTION,
          timeoutMs: raw.STORE_TIMEOUT_MS,
        }
      : undefined,
    s3Connection: {
      region: raw.S3_REGION,
      endpoint: raw.S3_ENDPOINT,
      forcePathStyle: raw.S3_FORCE_PATH_STYLE,
      timeoutMs: raw.STORE_TIMEOUT_MS,
    },
    docsBucket: raw.DOCS_BUCKET ? { bucket: raw.DOCS_BUCKET, prefix: raw.DOCS_PREFIX } : undefined,
    reranker: raw.RERANK_BASE_URL
      ? {
          baseURL: raw.RERANK_BASE_URL,
          model: raw.RERANK_MODEL,
          apiKey: raw.RERANK_API_KEY,
          timeoutMs: raw.STORE_TIMEOUT_MS,
        }
      : undefined,
    ingestConcurrency: raw.INGEST_CONCURRENCY,
    documentLimits: { maxBytes: raw.DOCUMENT_MAX_BYTES, maxPages: raw.PDF_MAX_PAGES },
    limits: {
      chatPerMinute: raw.RATE_LIMIT_CHAT_PER_MINUTE,
      uploadsPerMinute: raw.RATE_LIMIT_UPLOADS_PER_MINUTE,
      streamsPerUser: raw.MAX_STREAMS_PER_USER,
    },
    trustProxy: raw.TRUST_PROXY,
    allowedHosts: allowedHosts({ bind: raw.HOST, publicUrl: raw.PUBLIC_URL, extra: raw.ALLOWED_HOSTS }),
    publicOrigin: raw.PUBLIC_URL ? new URL(raw.PUBLIC_URL).origin : undefined,
    connections: {
      idleTimeoutS: raw.IDLE_TIMEOUT_S,
      requestTimeoutS: raw.REQUEST_TIMEOUT_S,
      uploadTimeoutS: raw.UPLOAD_TIMEOUT_S,
      maxRequestsPerAddress: raw.MAX_REQUESTS_PER_ADDRESS,
    },
    metrics: {
      token: raw.METRICS_TOKEN,
      port: raw.METRICS_PORT,
      // On a laptop (no accounts, bound to loopback by default) the main port may serve them.
      open: raw.AUTH_MODE === 'none' && raw.METRICS_TOKEN === undefined,
    },
    tracing: tracingFrom(raw),
    auth: {
      mode: raw.AUTH_MODE,
      allowSignup: raw.ALLOW_SIGNUP,
      sessionDays: raw.SESSION_DAYS,
      loginsPerMinute: raw.RATE_LIMIT_LOGINS_PER_MINUTE,
      bootstrapAdmin:
        raw.ADMIN_EMAIL && raw.ADMIN_PASSWORD ? { email: raw.ADMIN_EMAIL, password: raw.ADMIN_PASSWORD } : undefined,
    },
    retrievalWeights: { keyword: raw.RETRIEVAL_KEYWORD_WEIGHT, vector: raw.RETRIEVAL_VECTOR_WEIGHT },
    retrievalTrigram: raw.RETRIEVAL_TRIGRAM,
    uploads: {
      maxBytes: raw.UPLOAD_MAX_BYTES,
      allowedExtensions: raw.UPLOAD_ALLOWED_TYPES.split(',').map((e) => e.trim().toLowerCase()),
    },
  };
}

/**
 * OTLP settings as the OpenTelemetry specification names them: `OTEL_EXPORTER_OTLP_ENDPOINT` is
 * a base URL to which `/v1/traces` is appended; `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as is.
 */
function tracingFrom(raw: RawConfig): Config['tracing'] {
  if (raw.OTEL_SDK_DISABLED) return undefined;
  const url =
    raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (raw.OTEL_EXPORTER_OTLP_ENDPOINT ? `${raw.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return undefined;
  const headers = Object.fromEntries(
    (raw.OTEL_EXPORTER_OTLP_HEADERS ?? '')
      .split(',')
      .filter((pair) => pair.includes('='))
      .map((pair) => {
        const at = pair.indexOf('=');
        return [decodeURIComponent(pair.slice(0, at).trim()), decodeURIComponent(pair.slice(at + 1).trim())];
      }),
  );
  return { url, headers, serviceName: raw.OTEL_SERVICE_NAME, recordContent: raw.OTEL_RECORD_CONTENT };
}
