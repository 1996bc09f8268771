import * as pulumi from '@pulumi/pulumi';

/**
 * Everything a stack can set, read once from `pulumi.Config` by {@link readConfig}. The program
 * (`program.ts`) is a function of this object only, so tests build both stacks in one process.
 */
export interface StackConfig {
  /** Pulumi project name; the prefix of every physical name (`ragchat-dev-app`). */
  readonly project: string;
  /** Stack name: `dev` or `prod` (any name works; these two ship with settings). */
  readonly stack: string;
  /** `aws:region`, where everything runs (and the app's `S3_REGION`). */
  readonly region: string;
  readonly network: {
    /** A /16; two /20 public and two /20 private subnets are cut from it. @default 10.0.0.0/16 */
    readonly vpcCidr: string;
    /** `single`: one NAT gateway shared by both zones (cheap); `per-az`: one per zone (survives a zone outage). */
    readonly natGateways: 'single' | 'per-az';
  };
  readonly app: {
    /** Fargate task size in CPU units (256 = 0.25 vCPU) and MiB. */
    readonly cpu: number;
    readonly memory: number;
    readonly desiredCount: number;
    readonly minCount: number;
    readonly maxCount: number;
    /** Target average CPU (percent) for auto-scaling. */
    readonly cpuTargetPercent: number;
    /** When set, also scale on ALB requests per target per minute. */
    readonly requestsPerTarget?: number;
    /** Days CloudWatch keeps the tasks' logs, and the log bucket keeps the access logs. */
    readonly logRetentionDays: number;
    readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
    /** Ingest the bundled user guide on the first start (an empty index). */
    readonly seedSampleDocs: boolean;
    readonly llmModel: string;
    readonly llmBaseUrl?: string;
    readonly embeddingModel: string;
    /** Unset: the app's local embedder. Set (e.g. https://api.openai.com/v1): a real embedding model. */
    readonly embeddingsBaseUrl?: string;
    /** The first admin's e-mail (AUTH_MODE=password); the password is the secret `adminPassword`. */
    readonly adminEmail?: string;
  };
  /**
   * Amazon Bedrock, the AWS-native provider: no API key, the task role's credentials (the SDK's
   * default chain). Each model set here is passed to the app and is what the task role may invoke.
   */
  readonly bedrock: {
    /** A foundation-model id or a cross-region inference-profile id (`us.anthropic...`): LLM_PROVIDER=bedrock. */
    readonly chatModel?: string;
    /** EMBEDDINGS_PROVIDER=bedrock with this model. */
    readonly embeddingModel?: BedrockEmbeddingModel;
    /** EMBEDDING_DIMENSIONS; Titan Text Embeddings V2 only (256, 512 or 1024). Unset: the model's default. */
    readonly embeddingDimensions?: number;
    /** Further model ids the role may invoke (the older `bedrockModelIds` key); passed to the app as nothing. */
    readonly extraModelIds: readonly string[];
  };
  /** Secrets (from `pulumi config set --secret`), each optional: absent ones are simply not passed. */
  readonly secrets: {
    readonly openaiApiKey?: pulumi.Output<string>;
    readonly embeddingsApiKey?: pulumi.Output<string>;
    readonly adminPassword?: pulumi.Output<string>;
  };
  readonly qdrant: QdrantChoice;
  readonly database: {
    readonly instanceClass: string;
    /** Major version; AWS picks (and upgrades) the minor one. */
    readonly engineVersion: string;
    readonly allocatedStorageGb: number;
    readonly maxAllocatedStorageGb: number;
    readonly multiAz: boolean;
    readonly backupRetentionDays: number;
  };
  /**
   * Prod's safety catch: RDS deletion protection and a final snapshot, load-balancer deletion
   * protection, and buckets (documents, logs) that `pulumi destroy` refuses to empty. Off in dev,
   * so that destroy takes everything away.
   */
  readonly protectData: boolean;
  readonly domain: {
    /** An issued ACM certificate in this region; with it, HTTP redirects to HTTPS. */
    readonly certificateArn?: string;
    /** The name users type; with `hostedZoneId`, an alias record is created for it. */
    readonly domainName?: string;
    readonly hostedZoneId?: string;
  };
}

/**
 * The embedding models the app's Bedrock backend speaks (their request and response bodies
 * differ, so the list is closed): Titan Text Embeddings V2 and Cohere Embed v3.
 */
export const BEDROCK_EMBEDDING_MODELS = [
  'amazon.titan-embed-text-v2:0',
  'cohere.embed-english-v3',
  'cohere.embed-multilingual-v3',
] as const;
export type BedrockEmbeddingModel = (typeof BEDROCK_EMBEDDING_MODELS)[number];
/** Titan Text Embeddings V2 returns 1024, 512 or 256 values (its `dimensions` parameter); Cohere v3 only 1024. */
export const TITAN_V2_DIMENSIONS = [256, 512, 1024] as const;

/** `anthropic.claude-3-5-haiku-20241022-v1:0`, or with a geography prefix `us.anthropic...` (an inference profile). */
const BEDROCK_MODEL_ID = /^([a-z-]+\.)?[a-z0-9-]+\.[A-Za-z0-9._:-]+$/;

export type QdrantChoice =
  | {
      /** Qdrant on Fargate, one task, storage on encrypted EFS, reachable only from the app. */
      readonly mode: 'fargate';
      readonly image: string;
      readonly cpu: number;
      readonly memory: number;
      readonly collection: string;
    }
  | {
      /** Qdrant Cloud: no Qdrant resources here; URL and API key are secrets. */
      readonly mode: 'cloud';
      readonly url: pulumi.Output<string>;
      readonly apiKey: pulumi.Output<string>;
      readonly collection: string;
    };

/** One bad or missing key is reported together with every other one, by name. */
export class StackConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StackConfigError';
    this.problems = problems;
  }
}

/** Reads and validates the stack's configuration (namespace = the project name, plus `aws:region`). */
export function readConfig(): StackConfig {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  const read = configReader(new pulumi.Config(), project);
  const { key, problems } = read;

  const region = new pulumi.Config('aws').get('region');
  if (!region) problems.push('aws:region: required (pulumi config set aws:region us-east-1)');
  const vpcCidr = read.get('vpcCidr') ?? '10.0.0.0/16';
  if (!/^\d{1,3}\.\d{1,3}\.0\.0\/16$/.test(vpcCidr)) problems.push(`${key('vpcCidr')}: must be a /16 like 10.0.0.0/16`);
  // Read in this order so that the problems come in the order people have always seen them.
  const counts = readTaskCounts(read);
  const qdrant = readQdrant(read);
  const domain = readDomain(read);
  const bedrock = readBedrockChoice(read);

  const config: StackConfig = {
    project,
    stack,
    region: region ?? '',
    network: {
      vpcCidr,
      natGateways: read.oneOf('natGateways', ['single', 'per-az'] as const, 'single'),
    },
    app: readApp(read, counts),
    bedrock,
    secrets: {
      openaiApiKey: read.getSecret('openaiApiKey'),
      embeddingsApiKey: read.getSecret('embeddingsApiKey'),
      adminPassword: read.getSecret('adminPassword'),
    },
    qdrant,
    database: readDatabase(read),
    protectData: read.bool('protectData', false),
    domain,
  };
  if (config.database.maxAllocatedStorageGb < config.database.allocatedStorageGb)
    problems.push(`${key('dbMaxAllocatedStorageGb')}: must be at least dbAllocatedStorageGb`);
  if (problems.length > 0) throw new StackConfigError(problems);
  return config;
}

/**
 * Typed reads of the project's namespace that note what is wrong in `problems` and go on with a
 * fallback, so that one run reports every bad key instead of stopping at the first.
 */
function configReader(cfg: pulumi.Config, project: string) {
  const problems: string[] = [];
  const key = (k: string) => `${project}:${k}`;
  return {
    problems,
    key,
    get: (k: string) => cfg.get(k),
    getSecret: (k: string) => cfg.getSecret(k),
    getObject: <T>(k: string) => cfg.getObject<T>(k),
    oneOf: <T extends string>(k: string, allowed: readonly T[], fallback: T): T => {
      const v = cfg.get(k) ?? fallback;
      if (!(allowed as readonly string[]).includes(v)) problems.push(`${key(k)}: must be one of ${allowed.join(', ')}`);
      return v as T;
    },
    int: (k: string, fallback: number, min: number, max: number): number => {
      const raw = cfg.get(k);
      const v = raw === undefined ? fallback : Number(raw);
      if (!Number.isInteger(v) || v < min || v > max)
        problems.push(`${key(k)}: must be an integer from ${min} to ${max}`);
      return v;
    },
    bool: (k: string, fallback: boolean): boolean => {
      const raw = cfg.get(k);
      if (raw === undefined) return fallback;
      if (raw !== 'true' && raw !== 'false') problems.push(`${key(k)}: must be true or false`);
      return raw === 'true';
    },
    optional: (k: string): string | undefined => {
      const v = cfg.get(k)?.trim();
      return v ? v : undefined;
    },
  };
}
type ConfigReader = ReturnType<typeof configReader>;

type TaskCounts = Pick<StackConfig['app'], 'minCount' | 'maxCount' | 'desiredCount'>;

function readTaskCounts(read: ConfigReader): TaskCounts {
  const minCount = read.int('appMinCount', 1, 1, 100);
  const maxCount = read.int('appMaxCount', 2, 1, 100);
  const desiredCount = read.int('appDesiredCount', minCount, 1, 100);
  if (maxCount < minCount) read.problems.push(`${read.key('appMaxCount')}: must be at least appMinCount`);
  if (desiredCount < minCount || desiredCount > maxCount)
    read.problems.push(`${read.key('appDesiredCount')}: must lie between appMinCount and appMaxCount`);
  return { desiredCount, minCount, maxCount };
}

function readApp(read: ConfigReader, counts: TaskCounts): StackConfig['app'] {
  const requestsPerTarget = read.optional('appRequestsPerTarget');
  return {
    cpu: read.int('appCpu', 512, 256, 16384),
    memory: read.int('appMemory', 1024, 512, 122880),
    ...counts,
    cpuTargetPercent: read.int('appCpuTargetPercent', 60, 10, 95),
    requestsPerTarget: requestsPerTarget === undefined ? undefined : read.int('appRequestsPerTarget', 0, 1, 1_000_000),
    logRetentionDays: logRetentionDays(read.get('logRetentionDays'), read.key, read.problems),
    logLevel: read.oneOf('logLevel', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    seedSampleDocs: read.bool('seedSampleDocs', false),
    llmModel: read.get('llmModel') ?? 'gpt-4o-mini',
    llmBaseUrl: read.optional('llmBaseUrl'),
    embeddingModel: read.get('embeddingModel') ?? 'text-embedding-3-small',
    embeddingsBaseUrl: read.optional('embeddingsBaseUrl'),
    adminEmail: read.optional('adminEmail'),
  };
}

function readQdrant(read: ConfigReader): QdrantChoice {
  const { key, problems } = read;
  const mode = read.oneOf('qdrant', ['fargate', 'cloud'] as const, 'fargate');
  const collection = read.get('qdrantCollection') ?? 'ragchat';
  if (mode === 'cloud') {
    const url = read.getSecret('qdrantUrl');
    const apiKey = read.getSecret('qdrantApiKey');
    if (!url)
      problems.push(`${key('qdrantUrl')}: required when qdrant is cloud (pulumi config set --secret qdrantUrl ...)`);
    if (!apiKey)
      problems.push(`${key('qdrantApiKey')}: required when qdrant is cloud (pulumi config set --secret ...)`);
    return { mode: 'cloud', url: url ?? pulumi.secret(''), apiKey: apiKey ?? pulumi.secret(''), collection };
  }
  return {
    mode: 'fargate',
    // The server version the app's client (@qdrant/js-client-rest 1.19) and docker-compose use.
    image: read.get('qdrantImage') ?? 'qdrant/qdrant:v1.19.0',
    cpu: read.int('qdrantCpu', 512, 256, 16384),
    memory: read.int('qdrantMemory', 1024, 512, 122880),
    collection,
  };
}

function readDomain(read: ConfigReader): StackConfig['domain'] {
  const domain = {
    certificateArn: read.optional('certificateArn'),
    domainName: read.optional('domainName'),
    hostedZoneId: read.optional('hostedZoneId'),
  };
  if (domain.hostedZoneId && !domain.domainName) read.problems.push(`${read.key('hostedZoneId')}: needs domainName`);
  if (domain.domainName && !domain.certificateArn)
    read.problems.push(`${read.key('domainName')}: needs certificateArn (a certificate for that name)`);
  return domain;
}

/** Bedrock's models, and the OpenAI-compatible base URLs they replace (set together, they contradict). */
function readBedrockChoice(read: ConfigReader): StackConfig['bedrock'] {
  const { key, problems, optional } = read;
  const extraModelIds = read.getObject<unknown>('bedrockModelIds') ?? [];
  if (!Array.isArray(extraModelIds) || !extraModelIds.every((m) => typeof m === 'string' && m.length > 0))
    problems.push(`${key('bedrockModelIds')}: must be a JSON list of model ids`);
  const bedrock = readBedrock(optional, key, problems);
  if (bedrock.chatModel && optional('llmBaseUrl'))
    problems.push(`${key('llmBaseUrl')}: unset it when bedrockChatModel is set (pulumi config rm llmBaseUrl)`);
  if (bedrock.embeddingModel && optional('embeddingsBaseUrl'))
    problems.push(
      `${key('embeddingsBaseUrl')}: unset it when bedrockEmbeddingModel is set (pulumi config rm embeddingsBaseUrl)`,
    );
  return { ...bedrock, extraModelIds: Array.isArray(extraModelIds) ? (extraModelIds as string[]) : [] };
}

function readDatabase(read: ConfigReader): StackConfig['database'] {
  return {
    instanceClass: read.get('dbInstanceClass') ?? 'db.t4g.micro',
    engineVersion: read.get('dbEngineVersion') ?? '16',
    allocatedStorageGb: read.int('dbAllocatedStorageGb', 20, 20, 65536),
    maxAllocatedStorageGb: read.int('dbMaxAllocatedStorageGb', 100, 20, 65536),
    multiAz: read.bool('dbMultiAz', false),
    backupRetentionDays: read.int('dbBackupRetentionDays', 7, 1, 35),
  };
}

/**
 * CloudWatch Logs accepts only these retention periods (PutRetentionPolicy); any other number
 * would pass here and fail halfway through `pulumi up`.
 */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

function logRetentionDays(raw: string | undefined, key: (k: string) => string, problems: string[]): number {
  const days = raw === undefined ? 14 : Number(raw);
  if (!(CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(days))
    problems.push(`${key('logRetentionDays')}: must be one of ${CLOUDWATCH_RETENTION_DAYS.join(', ')}`);
  return days;
}

function readBedrock(
  optional: (k: string) => string | undefined,
  key: (k: string) => string,
  problems: string[],
): Omit<StackConfig['bedrock'], 'extraModelIds'> {
  const chatModel = optional('bedrockChatModel');
  if (chatModel !== undefined && !BEDROCK_MODEL_ID.test(chatModel))
    problems.push(
      `${key('bedrockChatModel')}: must be a Bedrock model id or inference-profile id, like anthropic.claude-3-5-haiku-20241022-v1:0 or us.anthropic.claude-3-5-haiku-20241022-v1:0`,
    );

  const embeddingModel = optional('bedrockEmbeddingModel');
  if (embeddingModel !== undefined && !(BEDROCK_EMBEDDING_MODELS as readonly string[]).includes(embeddingModel))
    problems.push(`${key('bedrockEmbeddingModel')}: must be one of ${BEDROCK_EMBEDDING_MODELS.join(', ')}`);

  const rawDimensions = optional('bedrockEmbeddingDimensions');
  const embeddingDimensions = rawDimensions === undefined ? undefined : Number(rawDimensions);
  if (embeddingDimensions !== undefined) {
    if (embeddingModel !== 'amazon.titan-embed-text-v2:0')
      problems.push(
        `${key('bedrockEmbeddingDimensions')}: only with bedrockEmbeddingModel amazon.titan-embed-text-v2:0 (Cohere v3 is always 1024)`,
      );
    else if (!(TITAN_V2_DIMENSIONS as readonly number[]).includes(embeddingDimensions))
      problems.push(`${key('bedrockEmbeddingDimensions')}: must be one of ${TITAN_V2_DIMENSIONS.join(', ')}`);
  }
  return {
    chatModel,
    embeddingModel: embeddingModel as BedrockEmbeddingModel | undefined,
    embeddingDimensions,
  };
}
