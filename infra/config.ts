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
    /** Bedrock foundation model ids the task role may invoke; empty means no Bedrock permission at all. */
    readonly bedrockModelIds: readonly string[];
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
   * Prod's safety catch: RDS deletion protection and a final snapshot, and a bucket that
   * `pulumi destroy` refuses to empty. Off in dev, so that destroy takes everything away.
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
  const cfg = new pulumi.Config();
  const problems: string[] = [];
  const key = (k: string) => `${project}:${k}`;

  const region = new pulumi.Config('aws').get('region');
  if (!region) problems.push('aws:region: required (pulumi config set aws:region us-east-1)');

  const oneOf = <T extends string>(k: string, allowed: readonly T[], fallback: T): T => {
    const v = cfg.get(k) ?? fallback;
    if (!(allowed as readonly string[]).includes(v)) problems.push(`${key(k)}: must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  const int = (k: string, fallback: number, min: number, max: number): number => {
    const raw = cfg.get(k);
    const v = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(v) || v < min || v > max)
      problems.push(`${key(k)}: must be an integer from ${min} to ${max}`);
    return v;
  };
  const bool = (k: string, fallback: boolean): boolean => {
    const raw = cfg.get(k);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') problems.push(`${key(k)}: must be true or false`);
    return raw === 'true';
  };
  const optional = (k: string): string | undefined => {
    const v = cfg.get(k)?.trim();
    return v ? v : undefined;
  };

  const vpcCidr = cfg.get('vpcCidr') ?? '10.0.0.0/16';
  if (!/^\d{1,3}\.\d{1,3}\.0\.0\/16$/.test(vpcCidr)) problems.push(`${key('vpcCidr')}: must be a /16 like 10.0.0.0/16`);

  const minCount = int('appMinCount', 1, 1, 100);
  const maxCount = int('appMaxCount', 2, 1, 100);
  const desiredCount = int('appDesiredCount', minCount, 1, 100);
  if (maxCount < minCount) problems.push(`${key('appMaxCount')}: must be at least appMinCount`);
  if (desiredCount < minCount || desiredCount > maxCount)
    problems.push(`${key('appDesiredCount')}: must lie between appMinCount and appMaxCount`);
  const requestsPerTarget = optional('appRequestsPerTarget');

  const qdrantMode = oneOf('qdrant', ['fargate', 'cloud'] as const, 'fargate');
  const collection = cfg.get('qdrantCollection') ?? 'ragchat';
  let qdrant: QdrantChoice;
  if (qdrantMode === 'cloud') {
    const url = cfg.getSecret('qdrantUrl');
    const apiKey = cfg.getSecret('qdrantApiKey');
    if (!url)
      problems.push(`${key('qdrantUrl')}: required when qdrant is cloud (pulumi config set --secret qdrantUrl ...)`);
    if (!apiKey)
      problems.push(`${key('qdrantApiKey')}: required when qdrant is cloud (pulumi config set --secret ...)`);
    qdrant = { mode: 'cloud', url: url ?? pulumi.secret(''), apiKey: apiKey ?? pulumi.secret(''), collection };
  } else {
    qdrant = {
      mode: 'fargate',
      // The server version the app's client (@qdrant/js-client-rest 1.19) and docker-compose use.
      image: cfg.get('qdrantImage') ?? 'qdrant/qdrant:v1.19.0',
      cpu: int('qdrantCpu', 512, 256, 16384),
      memory: int('qdrantMemory', 1024, 512, 122880),
      collection,
    };
  }

  const domain = {
    certificateArn: optional('certificateArn'),
    domainName: optional('domainName'),
    hostedZoneId: optional('hostedZoneId'),
  };
  if (domain.hostedZoneId && !domain.domainName) problems.push(`${key('hostedZoneId')}: needs domainName`);
  if (domain.domainName && !domain.certificateArn)
    problems.push(`${key('domainName')}: needs certificateArn (a certificate for that name)`);

  const bedrockModelIds = cfg.getObject<unknown>('bedrockModelIds') ?? [];
  if (!Array.isArray(bedrockModelIds) || !bedrockModelIds.every((m) => typeof m === 'string' && m.length > 0))
    problems.push(`${key('bedrockModelIds')}: must be a JSON list of model ids`);

  const config: StackConfig = {
    project,
    stack,
    region: region ?? '',
    network: {
      vpcCidr,
      natGateways: oneOf('natGateways', ['single', 'per-az'] as const, 'single'),
    },
    app: {
      cpu: int('appCpu', 512, 256, 16384),
      memory: int('appMemory', 1024, 512, 122880),
      desiredCount,
      minCount,
      maxCount,
      cpuTargetPercent: int('appCpuTargetPercent', 60, 10, 95),
      requestsPerTarget: requestsPerTarget === undefined ? undefined : int('appRequestsPerTarget', 0, 1, 1_000_000),
      logRetentionDays: int('logRetentionDays', 14, 1, 3653),
      logLevel: oneOf('logLevel', ['debug', 'info', 'warn', 'error'] as const, 'info'),
      seedSampleDocs: bool('seedSampleDocs', false),
      llmModel: cfg.get('llmModel') ?? 'gpt-4o-mini',
      llmBaseUrl: optional('llmBaseUrl'),
      embeddingModel: cfg.get('embeddingModel') ?? 'text-embedding-3-small',
      embeddingsBaseUrl: optional('embeddingsBaseUrl'),
      adminEmail: optional('adminEmail'),
      bedrockModelIds: Array.isArray(bedrockModelIds) ? (bedrockModelIds as string[]) : [],
    },
    secrets: {
      openaiApiKey: cfg.getSecret('openaiApiKey'),
      embeddingsApiKey: cfg.getSecret('embeddingsApiKey'),
      adminPassword: cfg.getSecret('adminPassword'),
    },
    qdrant,
    database: {
      instanceClass: cfg.get('dbInstanceClass') ?? 'db.t4g.micro',
      engineVersion: cfg.get('dbEngineVersion') ?? '16',
      allocatedStorageGb: int('dbAllocatedStorageGb', 20, 20, 65536),
      maxAllocatedStorageGb: int('dbMaxAllocatedStorageGb', 100, 20, 65536),
      multiAz: bool('dbMultiAz', false),
      backupRetentionDays: int('dbBackupRetentionDays', 7, 1, 35),
    },
    protectData: bool('protectData', false),
    domain,
  };
  if (config.database.maxAllocatedStorageGb < config.database.allocatedStorageGb)
    problems.push(`${key('dbMaxAllocatedStorageGb')}: must be at least dbAllocatedStorageGb`);
  if (problems.length > 0) throw new StackConfigError(problems);
  return config;
}
