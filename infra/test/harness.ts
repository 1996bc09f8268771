import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../config.ts';

/**
 * Runs the Pulumi program under Pulumi's mocks, with no CLI, no plugins and no cloud: the stack's
 * own `Pulumi.<stack>.yaml` (plus what a user would `pulumi config set`) goes through
 * `readConfig()` into `deploy()`, and every resource the program registers is recorded with its
 * inputs, for the tests to assert on.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const MOCK_DIGEST = `sha256:${'ab'.repeat(32)}`;
export const DB_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-mock-AbCdEf`;

/** Every secret a test sets carries this marker, so a leak into plain text is easy to find. */
export const SECRET_MARKER = 'S3CR3T';
export const TEST_SECRETS = {
  'ragchat:openaiApiKey': `sk-openai-${SECRET_MARKER}`,
  'ragchat:embeddingsApiKey': `sk-embeddings-${SECRET_MARKER}`,
  'ragchat:adminPassword': `admin-password-${SECRET_MARKER}`,
  'ragchat:qdrantUrl': `https://cluster-${SECRET_MARKER}.cloud.qdrant.io:6333`,
  'ragchat:qdrantApiKey': `qdrant-key-${SECRET_MARKER}`,
} as const;

/** What a README user sets for prod beyond Pulumi.prod.yaml (the secrets come from TEST_SECRETS). */
export const PROD_SETTINGS = {
  'ragchat:certificateArn': `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555`,
  'ragchat:domainName': 'chat.example.com',
  'ragchat:hostedZoneId': 'Z0123456789ABCDEFGHIJ',
  'ragchat:adminEmail': 'admin@example.com',
};

// biome-ignore lint/suspicious/noExplicitAny: resource inputs are whatever each provider's schema says.
export type Inputs = Record<string, any>;

export interface Recorded {
  type: string;
  name: string;
  inputs: Inputs;
  /**
   * The URN the Pulumi engine gives it (`urn:pulumi:<stack>::ragchat::<parent types>$<type>::<name>`):
   * the key a deployed stack's state knows it by. A resource whose URN changes is replaced.
   */
  urn: string;
  /** The URNs its `aliases` option names: earlier URNs under which the state may still hold it. */
  aliases: string[];
  /** URNs of what it waits for: `dependsOn`, and every resource whose outputs its inputs take. */
  dependsOn: string[];
}

export interface StackRun {
  resources: Recorded[];
  outputs: Record<string, unknown>;
  /** Every resource of a type token, e.g. `aws:ec2/subnet:Subnet`. */
  ofType(type: string): Recorded[];
  /** The one resource of that type with that logical name; throws when absent. */
  get(type: string, name: string): Recorded;
}

const short = (type: string) => type.split(':').pop() ?? type;

/** Outputs a provider would compute, for the resources whose outputs the program reads. */
function computedState(type: string, name: string, inputs: Inputs): Inputs {
  const arn = `arn:aws:mock:${REGION}:${ACCOUNT}:${short(type).toLowerCase()}/${name}`;
  const state: Inputs = { ...inputs, arn };
  switch (type) {
    case 'aws:s3/bucket:Bucket': {
      const bucket = inputs.bucket ?? `${name}-0a1b2c3`;
      return { ...state, bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case 'aws:ecr/repository:Repository':
      return {
        ...state,
        name,
        registryId: ACCOUNT,
        repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
        arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`,
      };
    case 'docker-build:index:Image':
      return { ...state, digest: MOCK_DIGEST, ref: `${inputs.tags?.[0]}@${MOCK_DIGEST}` };
    case 'aws:rds/instance:Instance':
      return {
        ...state,
        address: `${name}.c0ffee.${REGION}.rds.amazonaws.com`,
        port: inputs.port ?? 5432,
        masterUserSecrets: [{ secretArn: DB_SECRET_ARN, secretStatus: 'active', kmsKeyId: 'aws/secretsmanager' }],
      };
    case 'aws:rds/subnetGroup:SubnetGroup':
    case 'aws:ecs/cluster:Cluster':
    case 'aws:ecs/service:Service':
      return { ...state, name: inputs.name ?? `${name}-0a1b2c3` };
    case 'aws:lb/loadBalancer:LoadBalancer':
      return {
        ...state,
        dnsName: `${name}-123456.${REGION}.elb.amazonaws.com`,
        zoneId: 'Z35SXDOTRQ7X7K',
        arnSuffix: `app/${name}/0123456789abcdef`,
      };
    case 'aws:lb/targetGroup:TargetGroup':
      return { ...state, arnSuffix: `targetgroup/${name}/0123456789abcdef` };
    case 'aws:ssm/parameter:Parameter':
      return { ...state, arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${inputs.name}` };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { ...state, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${inputs.name}` };
    case 'aws:efs/fileSystem:FileSystem':
      return { ...state, arn: `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/fs-${name}` };
    case 'aws:efs/accessPoint:AccessPoint':
      return { ...state, arn: `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:access-point/fsap-${name}` };
    default:
      return state;
  }
}

const CALLS: Record<string, Inputs> = {
  'aws:index/getAvailabilityZones:getAvailabilityZones': {
    names: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
    zoneIds: ['use1-az1', 'use1-az2', 'use1-az4'],
    state: 'available',
  },
  'aws:index/getRegion:getRegion': { name: REGION, region: REGION, id: REGION },
  'aws:index/getPartition:getPartition': { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' },
  'aws:index/getCallerIdentity:getCallerIdentity': {
    accountId: ACCOUNT,
    arn: `arn:aws:iam::${ACCOUNT}:user/test`,
    userId: 'AIDATEST',
    id: ACCOUNT,
  },
  // The regional ELB account of us-east-1 (ELB guide, "Regions available before August 2022").
  'aws:elb/getServiceAccount:getServiceAccount': {
    arn: 'arn:aws:iam::127311923021:root',
    id: '127311923021',
    region: REGION,
  },
  'aws:ecr/getAuthorizationToken:getAuthorizationToken': {
    proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
    userName: 'AWS',
    password: 'mock-ecr-token',
    authorizationToken: 'bW9jaw==',
  },
};

/** Pulumi.<stack>.yaml's `config:` block as the flat string map the CLI hands a program. */
export function stackFileConfig(stack: string): Record<string, string> {
  const text = readFileSync(join(import.meta.dirname, '..', `Pulumi.${stack}.yaml`), 'utf8');
  const parsed = Bun.YAML.parse(text) as { config?: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(parsed.config ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

// Runs never overlap: the mocks, the config and the resource list are process-wide.
let queue: Promise<unknown> = Promise.resolve();
/** Runs `job` once every run queued before it has finished. */
function enqueue<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job);
  queue = run.catch(() => undefined);
  return run;
}
const cache = new Map<string, Promise<StackRun>>();

/**
 * Runs the program for a stack with its YAML plus `settings` (plain) and `secrets` (as
 * `--secret`). Results are cached by arguments: test files share the runs.
 */
export function runStack(
  stack: string,
  settings: Record<string, string> = {},
  secrets: Record<string, string> = {},
): Promise<StackRun> {
  const key = JSON.stringify([stack, settings, secrets]);
  const cached = cache.get(key);
  if (cached) return cached;
  const run = enqueue(() => runOnce(stack, settings, secrets));
  cache.set(key, run);
  return run;
}

/** `readConfig()` for a stack's YAML plus settings and secrets: its result, or what it threw. */
export function readStackConfig(
  stack: string,
  settings: Record<string, string> = {},
  secrets: Record<string, string> = {},
): Promise<StackConfig | Error> {
  return enqueue(async () => {
    await configure(stack, settings, secrets, []);
    const { readConfig } = await import('../config.ts');
    try {
      return readConfig();
    } catch (error) {
      return error as Error;
    }
  });
}

async function configure(
  stack: string,
  settings: Record<string, string>,
  secrets: Record<string, string>,
  resources: Recorded[],
): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: computedState(args.type, args.name, args.inputs) }),
      call: (args) => {
        const answer = CALLS[args.token];
        if (!answer) throw new Error(`no mock answer for ${args.token}`);
        return answer;
      },
    },
    'ragchat',
    stack,
    false,
  );
  // A component run has no stack file: what it is given comes in through its arguments.
  const fileConfig = stack === COMPONENT_STACK ? {} : stackFileConfig(stack);
  pulumi.runtime.setAllConfig({ ...fileConfig, ...settings, ...secrets }, Object.keys(secrets));
  recordRegistrations(resources);
}

async function runOnce(
  stack: string,
  settings: Record<string, string>,
  secrets: Record<string, string>,
): Promise<StackRun> {
  return record(stack, settings, secrets, async () => {
    // Imported only now, after setMocks: the program's modules see the mocked runtime.
    const { readConfig } = await import('../config.ts');
    const { deploy } = await import('../program.ts');
    return { ...deploy(readConfig()) };
  });
}

/** The stack name {@link runComponent} runs under: no `Pulumi.<stack>.yaml`, so no configuration. */
export const COMPONENT_STACK = 'unit';

/**
 * Runs `build` (which makes one component, say) under the same mocks with no stack configuration,
 * and records what it registers, as {@link runStack} does for the whole program. `build` imports
 * the component's module itself (`await import('../app-task.ts')`), so the module sees the mocks.
 * Not cached: each test makes its own.
 */
export function runComponent(build: () => Promise<Record<string, pulumi.Output<unknown>>>): Promise<StackRun> {
  return enqueue(() => record(COMPONENT_STACK, {}, {}, build));
}

async function record(
  stack: string,
  settings: Record<string, string>,
  secrets: Record<string, string>,
  program: () => Promise<Record<string, pulumi.Output<unknown>>>,
): Promise<StackRun> {
  const resources: Recorded[] = [];
  await configure(stack, settings, secrets, resources);
  const programOutputs = await program();
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(programOutputs)) outputs[name] = await resolved(output);
  await settled();
  resolveUrns(resources, stack);

  return {
    resources,
    outputs,
    ofType: (type) => resources.filter((r) => r.type === type),
    get: (type, name) => {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) throw new Error(`no ${type} named ${name}; have ${resources.map((r) => r.name).join(', ')}`);
      return found;
    },
  };
}

/** What the harness reads of a `RegisterResourceRequest` (the protobuf getters of @pulumi/pulumi 3.270). */
interface Registration {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
  getAliasesList(): {
    getUrn(): string;
    hasSpec(): boolean;
    getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
  }[];
}
type MockMonitor = {
  registerResource(req: Registration, callback: (error: unknown, response?: { getUrn(): string }) => void): void;
};

/** A recorded resource as the mock monitor named it, with its parent and alias specs (mock URNs). */
interface Registered {
  record: Recorded;
  parentMockUrn: string;
  aliasSpecs: ReturnType<Registration['getAliasesList']>;
  dependencyMockUrns: string[];
}
/** This run's registrations by the URN the mock monitor answered with. */
const registrations = new Map<string, Registered>();

/**
 * Records every registration the program sends, in order, with what the mocks' `newResource` does
 * not see: the parent, the aliases and the dependencies. The mock monitor names a child by its
 * parent's last type only, not by the whole chain of parent types as the engine does (the SDKs'
 * `createUrn`: the parent URN's type part, `$`, the child's type), so {@link resolveUrns} rebuilds
 * the engine's URNs from the parents once the run has settled.
 */
function recordRegistrations(resources: Recorded[]): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor | undefined;
  if (!monitor?.registerResource) throw new Error('no mock monitor after setMocks; update infra/test/harness.ts');
  const register = monitor.registerResource.bind(monitor);
  registrations.clear();
  monitor.registerResource = (req, callback) => {
    const record: Recorded = {
      type: req.getType(),
      name: req.getName(),
      // What the mock monitor hands `newResource`, decoded the same way.
      inputs: pulumi.runtime.deserializeProperties(req.getObject()),
      urn: '',
      aliases: [],
      dependsOn: [],
    };
    resources.push(record);
    const registered = {
      record,
      parentMockUrn: req.getParent(),
      aliasSpecs: req.getAliasesList(),
      dependencyMockUrns: req.getDependenciesList(),
    };
    register(req, (error, response) => {
      if (response) registrations.set(response.getUrn(), registered);
      callback(error, response);
    });
  };
}

/** Fills in each recorded resource's engine URN, alias URNs and dependencies, as `pulumi up` sees them. */
function resolveUrns(resources: Recorded[], stack: string): void {
  const prefix = `urn:pulumi:${stack}::ragchat::`;
  const qualifiedType = (mockUrn: string): string => {
    const parent = registrations.get(mockUrn);
    if (!parent) throw new Error(`a resource names a parent the harness never saw: ${mockUrn}`);
    return parent.parentMockUrn === ''
      ? parent.record.type
      : `${qualifiedType(parent.parentMockUrn)}$${parent.record.type}`;
  };
  const urnOf = (parentMockUrn: string, type: string, name: string) =>
    `${prefix}${parentMockUrn === '' ? type : `${qualifiedType(parentMockUrn)}$${type}`}::${name}`;
  const registered = [...registrations.values()];
  for (const { record, parentMockUrn } of registered) record.urn = urnOf(parentMockUrn, record.type, record.name);
  for (const { record, parentMockUrn, aliasSpecs, dependencyMockUrns } of registered) {
    record.dependsOn = dependencyMockUrns.map((urn) => registrations.get(urn)?.record.urn ?? urn);
    record.aliases = aliasSpecs.map((alias) => {
      const spec = alias.hasSpec() ? alias.getSpec() : undefined;
      if (!spec) return alias.getUrn();
      const parent = spec.getNoparent() ? '' : spec.getParenturn() || parentMockUrn;
      return urnOf(parent, spec.getType() || record.type, spec.getName() || record.name);
    });
  }
  const unresolved = resources.filter((r) => r.urn === '');
  if (unresolved.length > 0) throw new Error(`no URN for ${unresolved.map((r) => r.name).join(', ')}`);
}

/** The value of an output (secret or not), once known. */
export function resolved<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until every resource registration the program started has reached the mocks. */
async function settled(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (runtime.waitForRPCs) return runtime.waitForRPCs();
  throw new Error('@pulumi/pulumi no longer exports runtime.waitForRPCs; update infra/test/harness.ts');
}

/** Parsed container definitions of a task definition. */
export function containers(taskDefinition: Recorded): Inputs[] {
  return JSON.parse(taskDefinition.inputs.containerDefinitions);
}

/** Parsed IAM policy document of a resource whose `policy` input is JSON. */
export function policy(resource: Recorded): { Statement: Inputs[] } {
  return JSON.parse(resource.inputs.policy);
}

/** True when a recorded input is a Pulumi secret (as `pulumi config set --secret` values stay). */
export function isSecret(value: unknown): boolean {
  const sig = pulumi.runtime.specialSigKey;
  return typeof value === 'object' && value !== null && (value as Inputs)[sig] === pulumi.runtime.specialSecretSig;
}

export interface Rule {
  direction: 'ingress' | 'egress';
  /** The group the rule belongs to: `alb`, `app`, `db`, `qdrant`, `efs`. */
  group: string;
  protocol: string;
  fromPort: number;
  toPort: number;
  /** A CIDR, or the other group's short name. */
  peer: string;
}

const groupName = (id: string) => id.replace(/-id$/, '').replace(/^network-/, '');

/** Every security-group rule of a run, in a form easy to compare. */
export function securityRules(run: StackRun): Rule[] {
  const rules = (direction: Rule['direction'], type: string) =>
    run.ofType(type).map(({ inputs }) => ({
      direction,
      group: groupName(inputs.securityGroupId),
      protocol: inputs.ipProtocol,
      fromPort: inputs.fromPort,
      toPort: inputs.toPort,
      peer: inputs.cidrIpv4 ?? inputs.cidrIpv6 ?? inputs.prefixListId ?? groupName(inputs.referencedSecurityGroupId),
    }));
  return [
    ...rules('ingress', 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'),
    ...rules('egress', 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule'),
  ];
}

/** `alb:80<-0.0.0.0/0`, `app:443->0.0.0.0/0`: one line per rule, sorted, for whole-set comparisons. */
export function describeRules(rules: Rule[]): string[] {
  return rules
    .map((r) => {
      const ports = r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`;
      return `${r.group}:${r.protocol}/${ports}${r.direction === 'ingress' ? '<-' : '->'}${r.peer}`;
    })
    .sort();
}

export const TYPES = {
  vpc: 'aws:ec2/vpc:Vpc',
  subnet: 'aws:ec2/subnet:Subnet',
  natGateway: 'aws:ec2/natGateway:NatGateway',
  eip: 'aws:ec2/eip:Eip',
  routeTable: 'aws:ec2/routeTable:RouteTable',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  legacyRule: 'aws:ec2/securityGroupRule:SecurityGroupRule',
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  versioning: 'aws:s3/bucketVersioning:BucketVersioning',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  ownership: 'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
  lifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  bucketLogging: 'aws:s3/bucketLogging:BucketLogging',
  rds: 'aws:rds/instance:Instance',
  rdsSubnets: 'aws:rds/subnetGroup:SubnetGroup',
  rotation: 'aws:secretsmanager/secretRotation:SecretRotation',
  efs: 'aws:efs/fileSystem:FileSystem',
  mountTarget: 'aws:efs/mountTarget:MountTarget',
  accessPoint: 'aws:efs/accessPoint:AccessPoint',
  namespace: 'aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace',
  discovery: 'aws:servicediscovery/service:Service',
  taskDefinition: 'aws:ecs/taskDefinition:TaskDefinition',
  ecsService: 'aws:ecs/service:Service',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  attachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  ssmParameter: 'aws:ssm/parameter:Parameter',
  loadBalancer: 'aws:lb/loadBalancer:LoadBalancer',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  listener: 'aws:lb/listener:Listener',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  scalingTarget: 'aws:appautoscaling/target:Target',
  scalingPolicy: 'aws:appautoscaling/policy:Policy',
  image: 'docker-build:index:Image',
  repository: 'aws:ecr/repository:Repository',
  record: 'aws:route53/record:Record',
} as const;
