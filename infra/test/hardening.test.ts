import { describe, expect, test } from 'bun:test';
import { SCRATCH_INIT_IMAGE } from '../app-task.ts';
import { StackConfigError } from '../config.ts';
import {
  containers,
  type Inputs,
  PROD_SETTINGS,
  policy,
  readStackConfig,
  runStack,
  TEST_SECRETS,
  TYPES,
} from './harness.ts';

const dev = () => runStack('dev');
const prod = () => runStack('prod', PROD_SETTINGS, TEST_SECRETS);
const STACKS = [
  ['dev', dev],
  ['prod', prod],
] as const;
const LOG_BUCKET_ID = 'logging-logs-id';
const LOG_BUCKET = 'logging-logs-0a1b2c3';
const LOG_BUCKET_ARN = `arn:aws:s3:::${LOG_BUCKET}`;
const DOCS_BUCKET_ARN = 'arn:aws:s3:::storage-docs-0a1b2c3';
const ACCOUNT = '123456789012';

/** The bucket policy's statements, for a stack in us-east-1 (ELB writes as its regional account there). */
const logBucketStatements = (elbPrincipal: Inputs): Inputs[] => [
  {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [LOG_BUCKET_ARN, `${LOG_BUCKET_ARN}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  },
  {
    Sid: 'AlbAccessLogs',
    Effect: 'Allow',
    Principal: elbPrincipal,
    Action: 's3:PutObject',
    Resource: `${LOG_BUCKET_ARN}/alb/AWSLogs/${ACCOUNT}/*`,
  },
  {
    Sid: 'S3ServerAccessLogs',
    Effect: 'Allow',
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Action: 's3:PutObject',
    Resource: [`${LOG_BUCKET_ARN}/s3/docs/*`],
    Condition: {
      ArnLike: { 'aws:SourceArn': [DOCS_BUCKET_ARN] },
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
    },
  },
];

describe('log bucket: ALB and S3 access logs', () => {
  for (const [stack, run] of STACKS) {
    test(`${stack}: private, ACLs off, SSE-S3`, async () => {
      const { get } = await run();
      expect(get(TYPES.publicAccessBlock, 'logging-logs').inputs).toEqual({
        bucket: LOG_BUCKET_ID,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(get(TYPES.ownership, 'logging-logs').inputs.rule).toEqual({ objectOwnership: 'BucketOwnerEnforced' });
      expect(get(TYPES.encryption, 'logging-logs').inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true },
      ]);
      expect(get(TYPES.bucket, 'logging-logs').inputs.acl).toBeUndefined();
    });

    test(`${stack}: the policy refuses plain HTTP and lets only ELB and S3 logging write, each under its prefix`, async () => {
      const { Statement } = policy((await run()).get(TYPES.bucketPolicy, 'logging-logs'));
      expect(Statement).toEqual(logBucketStatements({ AWS: 'arn:aws:iam::127311923021:root' }));
    });

    test(`${stack}: the load balancer writes its access logs there, once the policy exists`, async () => {
      const { get } = await run();
      expect(get(TYPES.loadBalancer, 'app-alb').inputs.accessLogs).toEqual({
        enabled: true,
        bucket: LOG_BUCKET,
        prefix: 'alb',
      });
    });

    test(`${stack}: the documents bucket's S3 server access logs go there`, async () => {
      const { ofType } = await run();
      expect(ofType(TYPES.bucketLogging).map((l) => l.inputs)).toEqual([
        { bucket: 'storage-docs-id', targetBucket: LOG_BUCKET_ID, targetPrefix: 's3/docs/' },
      ]);
    });
  }

  test('logs expire after logRetentionDays: 14 in dev, 90 in prod, or as set', async () => {
    for (const [run, days] of [
      [dev, 14],
      [prod, 90],
      [() => runStack('dev', { 'ragchat:logRetentionDays': '30' }), 30],
    ] as const) {
      const { get } = await run();
      expect(get(TYPES.lifecycle, 'logging-logs').inputs.rules).toEqual([
        {
          id: 'expire-logs',
          status: 'Enabled',
          filter: {},
          expiration: { days },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ]);
      expect(get(TYPES.logGroup, 'app-logs').inputs.retentionInDays).toBe(days);
    }
  });

  test('a region opened after August 2022: ELB delivers as its service principal', async () => {
    const { get } = await runStack('dev', { 'aws:region': 'eu-central-2' });
    expect(policy(get(TYPES.bucketPolicy, 'logging-logs')).Statement[1]!.Principal).toEqual({
      Service: 'logdelivery.elasticloadbalancing.amazonaws.com',
    });
  });

  test('dev: pulumi destroy may empty the log bucket; prod: it refuses', async () => {
    expect((await dev()).get(TYPES.bucket, 'logging-logs').inputs.forceDestroy).toBe(true);
    expect((await prod()).get(TYPES.bucket, 'logging-logs').inputs.forceDestroy).toBe(false);
  });

  test('a retention CloudWatch does not offer is refused before anything is created', async () => {
    const result = await readStackConfig('dev', { 'ragchat:logRetentionDays': '10' });
    expect(result).toBeInstanceOf(StackConfigError);
    expect((result as StackConfigError).problems).toEqual([
      'ragchat:logRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
    ]);
  });
});

describe('deletion protection and image scanning', () => {
  test('the ALB has deletion protection in prod, not in dev (so pulumi destroy of dev works)', async () => {
    expect((await prod()).get(TYPES.loadBalancer, 'app-alb').inputs.enableDeletionProtection).toBe(true);
    expect((await dev()).get(TYPES.loadBalancer, 'app-alb').inputs.enableDeletionProtection).toBe(false);
  });

  for (const [stack, run] of STACKS)
    test(`${stack}: ECR scans every pushed image`, async () => {
      expect((await run()).get(TYPES.repository, 'image-repo').inputs.imageScanningConfiguration).toEqual({
        scanOnPush: true,
      });
    });
});

describe('read-only root filesystem: every backend is remote in both stacks', () => {
  for (const [stack, run] of STACKS) {
    test(`${stack}: the app's root is read-only, /tmp (task scratch) its only writable path, DATA_DIR inside it`, async () => {
      const task = (await run()).get(TYPES.taskDefinition, 'app-task');
      const [app, init] = containers(task);
      expect(app!.name).toBe('app');
      expect(app!.readonlyRootFilesystem).toBe(true);
      expect(app!.mountPoints).toEqual([{ sourceVolume: 'scratch', containerPath: '/tmp', readOnly: false }]);
      expect(app!.environment).toContainEqual({ name: 'DATA_DIR', value: '/tmp/ragchat' });
      // A bind mount with no host path and no EFS: the task's own ephemeral storage.
      expect(task.inputs.volumes).toEqual([{ name: 'scratch' }]);
      expect(app!.dependsOn).toEqual([{ containerName: 'scratch-init', condition: 'SUCCESS' }]);
      expect(init).toEqual({
        name: 'scratch-init',
        image: SCRATCH_INIT_IMAGE,
        essential: false,
        user: '0',
        command: ['chmod', '1777', '/tmp'],
        readonlyRootFilesystem: true,
        mountPoints: [{ sourceVolume: 'scratch', containerPath: '/tmp', readOnly: false }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': `/ecs/ragchat-${stack}/app`,
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'scratch-init',
          },
        },
      });
      expect(containers(task)).toHaveLength(2);
    });
  }

  test("dev: Qdrant's own container stays writable, its data on the EFS mount", async () => {
    const [qdrant] = containers((await dev()).get(TYPES.taskDefinition, 'qdrant-task'));
    expect(qdrant!.readonlyRootFilesystem).toBeUndefined();
    expect(qdrant!.mountPoints).toEqual([
      { sourceVolume: 'storage', containerPath: '/qdrant/storage', readOnly: false },
    ]);
  });
});
