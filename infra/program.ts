import { resolve } from 'node:path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { SCRATCH_PATH } from './app-task.ts';
import { bedrockEnvironment, bedrockInvokeArnsOutput, bedrockModelIds } from './bedrock.ts';
import type { StackConfig } from './config.ts';
import { Database } from './database.ts';
import { AppImage } from './image.ts';
import { ALB_LOG_PREFIX, LogBucket } from './logs.ts';
import { APP_PORT, Network } from './network.ts';
import { Qdrant } from './qdrant.ts';
import { AppSecrets } from './secrets.ts';
import { AppService } from './service.ts';
import { Storage } from './storage.ts';
import { ALB_IDLE_TIMEOUT_SECONDS, APP_HEARTBEAT_MS } from './timeouts.ts';

/** The prefix under which the app keeps its originals in the bucket (the app's DOCS_PREFIX default). */
export const DOCS_PREFIX = 'documents/';

export interface StackOutputs {
  url: pulumi.Output<string>;
  ecrRepositoryUrl: pulumi.Output<string>;
  imageRef: pulumi.Output<string>;
  bucketName: pulumi.Output<string>;
  /** The log bucket: ALB access logs under `alb/`, the documents bucket's S3 access logs under `s3/docs/`. */
  logBucketName: pulumi.Output<string>;
  logGroupName: pulumi.Output<string>;
  /** What `aws ecs run-task` needs for a one-off `ragchat ingest ...` (README). */
  clusterName: pulumi.Output<string>;
  serviceName: pulumi.Output<string>;
  taskDefinitionFamily: pulumi.Output<string>;
  privateSubnetIds: pulumi.Output<string[]>;
  appSecurityGroupId: pulumi.Output<string>;
  databaseSecretArn: pulumi.Output<string>;
}

/**
 * The whole deployment as a function of the stack's configuration: `index.ts` calls it with
 * `readConfig()`, the tests with the dev and prod settings (under Pulumi's mocks). Longer than a
 * screen on purpose: it is the program's table of contents, one statement per component in the
 * order they feed one another, and it only wires them; what a component is made of lives in its
 * own file, and what the app is told in {@link appSettings}.
 */
export function deploy(config: StackConfig): StackOutputs {
  const prefix = `${config.project}-${config.stack}`;
  const tags = { Project: config.project, Stack: config.stack, ManagedBy: 'pulumi' };

  const network = new Network('network', {
    region: config.region,
    vpcCidr: config.network.vpcCidr,
    natGateways: config.network.natGateways,
    https: config.domain.certificateArn !== undefined,
    selfHostedQdrant: config.qdrant.mode === 'fargate',
    tags,
  });
  const storage = new Storage('storage', { forceDestroy: !config.protectData, tags });
  const logBucket = new LogBucket('logging', {
    region: config.region,
    retentionDays: config.app.logRetentionDays,
    forceDestroy: !config.protectData,
    serverAccessLogSources: [{ name: 'docs', bucketId: storage.bucketId, bucketArn: storage.bucketArn }],
    tags,
  });
  const database = new Database('database', {
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.databaseSecurityGroupId,
    ...config.database,
    protectData: config.protectData,
    namePrefix: prefix,
    tags,
  });
  const image = new AppImage('image', {
    contextDir: resolve(import.meta.dirname, '..'),
    tag: config.stack,
    tags,
  });
  const cluster = new aws.ecs.Cluster('cluster', { name: prefix, tags });
  const qdrantUrl =
    config.qdrant.mode === 'fargate'
      ? new Qdrant('qdrant', {
          clusterArn: cluster.arn,
          vpcId: network.vpcId,
          privateSubnetIds: network.privateSubnetIds,
          securityGroupId: network.qdrantSecurityGroupId!,
          efsSecurityGroupId: network.efsSecurityGroupId!,
          image: config.qdrant.image,
          cpu: config.qdrant.cpu,
          memory: config.qdrant.memory,
          logRetentionDays: config.app.logRetentionDays,
          region: config.region,
          namePrefix: prefix,
          tags,
        }).url
      : undefined;

  // Secrets: each configured one becomes a SecureString parameter passed as a container secret.
  // Qdrant Cloud's URL counts as one too (it names the cluster the key opens).
  const secrets = new AppSecrets('secrets', {
    pathPrefix: `/${config.project}/${config.stack}`,
    values: {
      OPENAI_API_KEY: config.secrets.openaiApiKey,
      EMBEDDINGS_API_KEY: config.secrets.embeddingsApiKey,
      ADMIN_PASSWORD: config.secrets.adminPassword,
      QDRANT_URL: config.qdrant.mode === 'cloud' ? config.qdrant.url : undefined,
      QDRANT_API_KEY: config.qdrant.mode === 'cloud' ? config.qdrant.apiKey : undefined,
    },
    tags,
  });
  const settings = appSettings(config, { database, storage, secrets, qdrantUrl });

  const service = new AppService('app', {
    namePrefix: prefix,
    region: config.region,
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    albSecurityGroupId: network.albSecurityGroupId,
    appSecurityGroupId: network.appSecurityGroupId,
    imageRef: image.imageRef,
    repositoryArn: image.repositoryArn,
    cpu: config.app.cpu,
    memory: config.app.memory,
    desiredCount: config.app.desiredCount,
    minCount: config.app.minCount,
    maxCount: config.app.maxCount,
    cpuTargetPercent: config.app.cpuTargetPercent,
    requestsPerTarget: config.app.requestsPerTarget,
    logRetentionDays: config.app.logRetentionDays,
    environment: settings.environment,
    secrets: settings.containerSecrets,
    ssmParameterArns: Object.values(secrets.parameterArns),
    secretsManagerArns: [database.masterSecretArn],
    bucketArn: storage.bucketArn,
    bedrockModelArns: bedrockModelArns(config),
    readonlyRootFilesystem: settings.readonlyRootFilesystem,
    deletionProtection: config.protectData,
    accessLogs: { bucket: logBucket.bucketName, prefix: ALB_LOG_PREFIX, policy: logBucket.deliveryPolicy },
    certificateArn: config.domain.certificateArn,
    tags,
  });

  return {
    url: publicUrl(config, service),
    ecrRepositoryUrl: image.repositoryUrl,
    imageRef: image.imageRef,
    bucketName: storage.bucketName,
    logBucketName: logBucket.bucketName,
    logGroupName: service.logGroupName,
    clusterName: cluster.name,
    serviceName: service.serviceName,
    taskDefinitionFamily: service.taskDefinitionFamily,
    privateSubnetIds: pulumi.all(network.privateSubnetIds),
    appSecurityGroupId: network.appSecurityGroupId,
    databaseSecretArn: database.masterSecretArn,
  };
}

/** What the app is told, and whether its root filesystem can be read-only. */
interface AppSettings {
  environment: Record<string, pulumi.Input<string>>;
  containerSecrets: Record<string, pulumi.Input<string>>;
  readonlyRootFilesystem: boolean;
}

/** The backends the app is pointed at. */
interface Backends {
  database: Database;
  storage: Storage;
  secrets: AppSecrets;
  /** Qdrant on Fargate's private URL; Qdrant Cloud's is one of `secrets`. */
  qdrantUrl?: pulumi.Output<string>;
}

/** The app's environment and container secrets, from the stack's settings and its backends. */
function appSettings(config: StackConfig, backends: Backends): AppSettings {
  const environment = appEnvironment(config, backends);
  const containerSecrets: Record<string, pulumi.Input<string>> = {
    // The `password` key of the RDS-managed secret ({"username", "password"}).
    PGPASSWORD: pulumi.interpolate`${backends.database.masterSecretArn}:password::`,
    ...backends.secrets.parameterArns,
  };

  // SQLite holds data only for a backend with nothing remote configured (src/deps.ts): history and
  // the catalog without DATABASE_URL, vectors without QDRANT_URL, originals without DOCS_BUCKET.
  const remote = (name: string) => name in environment || name in containerSecrets;
  const sqliteHoldsData = !(remote('DATABASE_URL') && remote('QDRANT_URL') && remote('DOCS_BUCKET'));
  if (!sqliteHoldsData) {
    // Every backend is remote, yet the app still opens a small SQLite file in DATA_DIR at start
    // (src/deps.ts opens it unconditionally); it holds nothing that must outlive the task, so it
    // goes on the task's scratch volume and the rest of the root filesystem can be read-only.
    environment.DATA_DIR = `${SCRATCH_PATH}/ragchat`;
  }
  return { environment, containerSecrets, readonlyRootFilesystem: !sqliteHoldsData };
}

/** The app's environment: plain settings only. See database.ts for DATABASE_URL + PGPASSWORD. */
function appEnvironment(
  config: StackConfig,
  { database, storage, qdrantUrl }: Backends,
): Record<string, pulumi.Input<string>> {
  const environment: Record<string, pulumi.Input<string>> = {
    HOST: '0.0.0.0',
    PORT: String(APP_PORT),
    NODE_ENV: 'production',
    LOG_LEVEL: config.app.logLevel,
    // Behind the ALB, one hop: the client address is the X-Forwarded-For entry the ALB appended
    // (rate limits per client), and its X-Forwarded-Proto says HTTPS (HSTS, Secure cookies). Only
    // the ALB's security group reaches the tasks, so no client can speak as the ALB.
    TRUST_PROXY: '1',
    HEARTBEAT_MS: String(APP_HEARTBEAT_MS),
    // The target keeps an idle connection open longer than the ALB does (AWS's advice), so the
    // ALB never sends a request on a socket the app is closing.
    IDLE_TIMEOUT_S: String(ALB_IDLE_TIMEOUT_SECONDS + 10),
    // Bun's cap on outgoing requests at once (256 by default), read only at start: every answer
    // streams from the model over one. The app would restart itself to set it; set here, it needn't.
    BUN_CONFIG_MAX_HTTP_REQUESTS: '65535',
    AUTH_MODE: 'password',
    DATABASE_URL: database.urlWithoutPassword,
    DATABASE_POOL_SIZE: '10',
    QDRANT_COLLECTION: config.qdrant.collection,
    DOCS_BUCKET: storage.bucketName,
    DOCS_PREFIX,
    S3_REGION: config.region,
    LLM_MODEL: config.app.llmModel,
    EMBEDDING_MODEL: config.app.embeddingModel,
    // `off`: prod's index holds only what was ingested on purpose.
    SEED_DOCS_DIR: config.app.seedSampleDocs ? './ingest/sample-docs' : 'off',
    // Bedrock's model ids replace LLM_MODEL / EMBEDDING_MODEL when configured.
    ...bedrockEnvironment(config.bedrock, config.region),
  };
  if (qdrantUrl) environment.QDRANT_URL = qdrantUrl;
  if (config.app.llmBaseUrl) environment.LLM_BASE_URL = config.app.llmBaseUrl;
  if (config.app.embeddingsBaseUrl) environment.EMBEDDINGS_BASE_URL = config.app.embeddingsBaseUrl;
  if (config.app.adminEmail) environment.ADMIN_EMAIL = config.app.adminEmail;
  // The name people open: the app answers to it and counts its origin as its own.
  if (config.domain.domainName) environment.PUBLIC_URL = `https://${config.domain.domainName}`;
  return environment;
}

/** What the task role may invoke on Bedrock; undefined (no permission at all) when no model is named. */
function bedrockModelArns(config: StackConfig): pulumi.Output<string[]> | undefined {
  if (bedrockModelIds(config.bedrock).length === 0) return undefined;
  return bedrockInvokeArnsOutput(config.bedrock, {
    partition: aws.getPartitionOutput({}).partition,
    region: config.region,
    account: aws.getCallerIdentityOutput({}).accountId,
  });
}

/** The address people open: the domain (with its alias record when the zone is given), or the ALB's name. */
function publicUrl(config: StackConfig, service: AppService): pulumi.Output<string> {
  const { domainName, hostedZoneId, certificateArn } = config.domain;
  if (domainName && hostedZoneId) {
    new aws.route53.Record('domain', {
      zoneId: hostedZoneId,
      name: domainName,
      type: 'A',
      aliases: [{ name: service.albDnsName, zoneId: service.albZoneId, evaluateTargetHealth: true }],
    });
  }
  const scheme = certificateArn ? 'https' : 'http';
  const host = domainName ? pulumi.output(domainName) : service.albDnsName;
  return pulumi.interpolate`${scheme}://${host}`;
}
