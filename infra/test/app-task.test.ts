import { describe, expect, test } from 'bun:test';
import * as pulumi from '@pulumi/pulumi';
import type { AppTaskArgs } from '../app-task.ts';
import { STOP_TIMEOUT_SECONDS } from '../timeouts.ts';
import { containers, type Inputs, policy, runComponent, TYPES } from './harness.ts';

const REPO_ARN = 'arn:aws:ecr:us-east-1:123456789012:repository/web';
const BUCKET_ARN = 'arn:aws:s3:::docs-bucket';
const PARAMETER_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/web/OPENAI_API_KEY';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf';
const LOG_GROUP_ARN = 'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web-unit/app';

/** What AppService passes, for a task whose SQLite holds data (a writable root) unless overridden. */
const ARGS: Omit<AppTaskArgs, 'albDnsName'> = {
  namePrefix: 'web-unit',
  region: 'us-east-1',
  imageRef: `${REPO_ARN}@sha256:${'cd'.repeat(32)}`,
  repositoryArn: REPO_ARN,
  cpu: 256,
  memory: 512,
  logRetentionDays: 7,
  environment: { PORT: '3000', ALLOWED_HOSTS: 'chat.example.com', HOST: '0.0.0.0' },
  secrets: { OPENAI_API_KEY: PARAMETER_ARN, PGPASSWORD: `${SECRET_ARN}:password::` },
  ssmParameterArns: [PARAMETER_ARN],
  secretsManagerArns: [SECRET_ARN],
  bucketArn: BUCKET_ARN,
  readonlyRootFilesystem: false,
  tags: { Stack: 'unit' },
};

const appTask = (overrides: Partial<AppTaskArgs> = {}) =>
  runComponent(async () => {
    const { AppTask } = await import('../app-task.ts');
    const task = new AppTask('web', { ...ARGS, albDnsName: pulumi.output('web-alb.elb.example'), ...overrides });
    return { family: task.family, logGroupName: task.logGroupName, taskRoleArn: task.taskRoleArn };
  });
const app = async (run: ReturnType<typeof appTask>) =>
  containers((await run).get(TYPES.taskDefinition, 'web-task'))[0]!;
const statements = async (run: ReturnType<typeof appTask>, role: string) =>
  policy((await run).get(TYPES.rolePolicy, role)).Statement;

describe('AppTask on its own', () => {
  test('a Fargate task definition of the given size, running its roles, named after the prefix', async () => {
    const { get, outputs } = await appTask();
    expect(get(TYPES.taskDefinition, 'web-task').inputs).toMatchObject({
      family: 'web-unit-app',
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:mock:us-east-1:123456789012:role/web-execution',
      taskRoleArn: 'arn:aws:mock:us-east-1:123456789012:role/web-task',
    });
    expect(outputs).toEqual({
      family: 'web-unit-app',
      logGroupName: '/ecs/web-unit/app',
      taskRoleArn: 'arn:aws:mock:us-east-1:123456789012:role/web-task',
    });
  });

  test('a writable root (SQLite holds data): one container, no scratch volume, no init container', async () => {
    const run = appTask();
    const task = (await run).get(TYPES.taskDefinition, 'web-task');
    expect(task.inputs.volumes).toEqual([]);
    const all = containers(task);
    expect(all.map((c) => c.name)).toEqual(['app']);
    expect(all[0]!.readonlyRootFilesystem).toBeUndefined();
    expect(all[0]!.mountPoints).toBeUndefined();
    expect(all[0]!.dependsOn).toBeUndefined();
  });

  test('a read-only root: the app waits for scratch-init, both mount the scratch volume', async () => {
    const task = (await appTask({ readonlyRootFilesystem: true })).get(TYPES.taskDefinition, 'web-task');
    expect(task.inputs.volumes).toEqual([{ name: 'scratch' }]);
    const [main, init] = containers(task);
    expect(main!.readonlyRootFilesystem).toBe(true);
    expect(main!.dependsOn).toEqual([{ containerName: 'scratch-init', condition: 'SUCCESS' }]);
    expect(init!.mountPoints).toEqual(main!.mountPoints);
    expect(init!.essential).toBe(false);
  });

  test('the app answers to the load balancer’s name beside the hosts it was given', async () => {
    const container = await app(appTask());
    expect(container.environment).toContainEqual({
      name: 'ALLOWED_HOSTS',
      value: 'web-alb.elb.example,chat.example.com',
    });
    expect((await app(appTask({ environment: { PORT: '3000' } }))).environment).toContainEqual({
      name: 'ALLOWED_HOSTS',
      value: 'web-alb.elb.example',
    });
  });

  test('settings and secrets are listed by name (a stable task definition), secrets only as references', async () => {
    const container = await app(appTask());
    expect(container.environment.map((e: Inputs) => e.name)).toEqual(['ALLOWED_HOSTS', 'HOST', 'PORT']);
    expect(container.secrets).toEqual([
      { name: 'OPENAI_API_KEY', valueFrom: PARAMETER_ARN },
      { name: 'PGPASSWORD', valueFrom: `${SECRET_ARN}:password::` },
    ]);
    expect(container.stopTimeout).toBe(STOP_TIMEOUT_SECONDS);
    expect(container.logConfiguration.options).toEqual({
      'awslogs-group': '/ecs/web-unit/app',
      'awslogs-region': 'us-east-1',
      'awslogs-stream-prefix': 'app',
    });
  });

  test('nothing to read into the environment: the execution role may only pull the image and write logs', async () => {
    const run = appTask({ secrets: {}, ssmParameterArns: [], secretsManagerArns: [] });
    expect((await statements(run, 'web-execution')).map((s) => s.Sid)).toEqual([
      'RegistryLogin',
      'PullAppImage',
      'WriteLogs',
    ]);
    expect((await statements(run, 'web-execution'))[2]!.Resource).toBe(`${LOG_GROUP_ARN}:*`);
  });

  test('the execution role reads exactly the parameters and secrets it is given', async () => {
    const [, , , parameters, secrets] = await statements(appTask(), 'web-execution');
    expect(parameters).toMatchObject({ Sid: 'ReadAppParameters', Resource: [PARAMETER_ARN] });
    expect(secrets).toMatchObject({ Sid: 'ReadAppSecrets', Resource: [SECRET_ARN] });
  });

  test('the task role: the bucket, and Bedrock only for the models it is given', async () => {
    const plain = await statements(appTask(), 'web-task');
    expect(plain.map((s) => [s.Sid, s.Resource])).toEqual([
      ['ListDocuments', BUCKET_ARN],
      ['ReadWriteDocuments', `${BUCKET_ARN}/*`],
    ]);
    const model = 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0';
    const withBedrock = await statements(appTask({ bedrockModelArns: [model] }), 'web-task');
    expect(withBedrock.at(-1)).toEqual({
      Sid: 'InvokeBedrockModels',
      Effect: 'Allow',
      Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      Resource: [model],
    });
  });

  test('logs kept as long as it is told', async () => {
    expect((await appTask()).get(TYPES.logGroup, 'web-logs').inputs).toEqual({
      name: '/ecs/web-unit/app',
      retentionInDays: 7,
      tags: { Stack: 'unit' },
    });
  });
});
