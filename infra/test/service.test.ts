import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALB_IDLE_TIMEOUT_SECONDS,
  APP_DRAIN_SECONDS,
  APP_HEARTBEAT_MS,
  DEREGISTRATION_DELAY_SECONDS,
  STOP_TIMEOUT_SECONDS,
} from '../timeouts.ts';
import {
  containers,
  DB_SECRET_ARN,
  type Inputs,
  isSecret,
  MOCK_DIGEST,
  PROD_SETTINGS,
  policy,
  runStack,
  SECRET_MARKER,
  TEST_SECRETS,
  TYPES,
} from './harness.ts';

const dev = () => runStack('dev');
const prod = () => runStack('prod', PROD_SETTINGS, TEST_SECRETS);
/** dev as a README user sets it up with a model: keys and an admin, no Qdrant Cloud. */
const { 'ragchat:qdrantUrl': _url, 'ragchat:qdrantApiKey': _key, ...DEV_SECRETS } = TEST_SECRETS;
const devWithKeys = () => runStack('dev', { 'ragchat:adminEmail': 'admin@example.com' }, DEV_SECRETS);
const devWithBedrock = () =>
  runStack('dev', { 'ragchat:bedrockModelIds': '["anthropic.claude-3-haiku-20240307-v1:0"]' }, DEV_SECRETS);
const STACKS = [
  ['dev', dev],
  ['dev with keys', devWithKeys],
  ['prod', prod],
] as const;

const REPO = '123456789012.dkr.ecr.us-east-1.amazonaws.com/image-repo';
const REPO_ARN = 'arn:aws:ecr:us-east-1:123456789012:repository/image-repo';
const BUCKET_ARN = 'arn:aws:s3:::storage-docs-0a1b2c3';
const ssmArn = (stack: string, name: string) => `arn:aws:ssm:us-east-1:123456789012:parameter/ragchat/${stack}/${name}`;
const appSource = (file: string) => readFileSync(join(import.meta.dirname, '..', '..', 'src', file), 'utf8');
const app = async (run: () => ReturnType<typeof dev>) =>
  containers((await run()).get(TYPES.taskDefinition, 'app-task'))[0]!;
const statements = async (run: () => ReturnType<typeof dev>, name: string) =>
  policy((await run()).get(TYPES.rolePolicy, name)).Statement;

describe('image: built from the Dockerfile, pushed to ECR, tasks pinned to the digest', () => {
  for (const [stack, run] of STACKS) {
    test(`${stack}: the task runs repo@sha256:<the pushed digest>`, async () => {
      const { get, outputs } = await run();
      const image = get(TYPES.image, 'image-image').inputs;
      expect(image.push).toBe(true);
      expect(image.platforms).toEqual(['linux/amd64']);
      expect(image.context.location).toBe(join(import.meta.dirname, '..', '..'));
      expect(image.dockerfile.location).toBe(join(import.meta.dirname, '..', '..', 'Dockerfile'));
      expect(image.registries[0]).toMatchObject({ address: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com' });
      expect((await app(run)).image).toBe(`${REPO}@${MOCK_DIGEST}`);
      expect(outputs.imageRef).toBe(`${REPO}@${MOCK_DIGEST}`);
    });
  }
});

describe('secrets: passed as secrets, never as plain environment values', () => {
  for (const [stack, run] of STACKS) {
    test(`${stack}: no secret value and no secret-looking name in any task's plain environment`, async () => {
      const { ofType } = await run();
      for (const task of ofType(TYPES.taskDefinition)) {
        // Not anywhere in the task definition: environment, command, labels, anything.
        expect(task.inputs.containerDefinitions).not.toContain(SECRET_MARKER);
        for (const container of containers(task))
          for (const { name, value } of container.environment ?? []) {
            expect(name).not.toMatch(/KEY|PASSWORD|SECRET|TOKEN/);
            if (name === 'DATABASE_URL') expect(new URL(value).password).toBe('');
          }
      }
    });

    test(`${stack}: every container secret is a valueFrom reference to one of this stack's parameters or the database secret`, async () => {
      const { ofType } = await run();
      const parameterArns = ofType(TYPES.ssmParameter).map((p) =>
        ssmArn(stack.split(' ')[0]!, p.inputs.name.split('/').pop()),
      );
      for (const { name, valueFrom, ...rest } of (await app(run)).secrets) {
        expect(rest).toEqual({});
        if (name === 'PGPASSWORD') expect(valueFrom).toBe(`${DB_SECRET_ARN}:password::`);
        else expect(parameterArns).toContain(valueFrom);
      }
    });

    test(`${stack}: each configured secret is a SecureString parameter whose value stays a Pulumi secret`, async () => {
      const { ofType } = await run();
      for (const p of ofType(TYPES.ssmParameter)) {
        expect(p.inputs.type).toBe('SecureString');
        expect(isSecret(p.inputs.value)).toBe(true);
      }
    });
  }

  test('dev from its YAML alone (no keys set): only the database password is a secret', async () => {
    expect((await dev()).ofType(TYPES.ssmParameter)).toHaveLength(0);
    expect((await app(dev)).secrets.map((s: Inputs) => s.name)).toEqual(['PGPASSWORD']);
  });

  test('dev with keys: the model keys and the admin password arrive as secrets, the admin e-mail as a setting', async () => {
    const container = await app(devWithKeys);
    expect(container.secrets.map((s: Inputs) => s.name)).toEqual([
      'ADMIN_PASSWORD',
      'EMBEDDINGS_API_KEY',
      'OPENAI_API_KEY',
      'PGPASSWORD',
    ]);
    expect(container.secrets).toContainEqual({ name: 'OPENAI_API_KEY', valueFrom: ssmArn('dev', 'OPENAI_API_KEY') });
    expect(container.environment).toContainEqual({ name: 'ADMIN_EMAIL', value: 'admin@example.com' });
    expect(container.environment).toContainEqual({ name: 'AUTH_MODE', value: 'password' });
  });
});

describe('roles: each allowed exactly what it does', () => {
  for (const [stack, run] of STACKS) {
    test(`${stack}: the task role may use its bucket and nothing else`, async () => {
      expect(await statements(run, 'app-task')).toEqual([
        { Sid: 'ListDocuments', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: BUCKET_ARN },
        {
          Sid: 'ReadWriteDocuments',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: `${BUCKET_ARN}/*`,
        },
      ]);
    });

    test(`${stack}: the execution role may pull this image, write this log group, read these secrets`, async () => {
      const { ofType } = await run();
      const parameters = ofType(TYPES.ssmParameter).map((p) =>
        ssmArn(stack.split(' ')[0]!, p.inputs.name.split('/').pop()),
      );
      const logGroup = `arn:aws:logs:us-east-1:123456789012:log-group:/ecs/ragchat-${stack.split(' ')[0]}/app`;
      const expected: Inputs[] = [
        { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
        {
          Sid: 'PullAppImage',
          Effect: 'Allow',
          Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          Resource: REPO_ARN,
        },
        {
          Sid: 'WriteLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `${logGroup}:*`,
        },
      ];
      if (parameters.length > 0)
        expected.push({
          Sid: 'ReadAppParameters',
          Effect: 'Allow',
          Action: ['ssm:GetParameters'],
          Resource: parameters.sort(),
        });
      expected.push({
        Sid: 'ReadAppSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [DB_SECRET_ARN],
      });
      const received = (await statements(run, 'app-execution')).map((st) =>
        Array.isArray(st.Resource) ? { ...st, Resource: [...st.Resource].sort() } : st,
      );
      expect(received).toEqual(expected);
    });

    test(`${stack}: no role has a managed policy attached, and only ECS tasks may assume them`, async () => {
      const { ofType } = await run();
      expect(ofType(TYPES.attachment)).toHaveLength(0);
      for (const role of ofType(TYPES.role)) {
        expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
          { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ]);
      }
    });
  }

  test('Bedrock only when configured, and only the configured models', async () => {
    for (const run of [dev, devWithKeys, prod])
      expect(JSON.stringify(await statements(run, 'app-task'))).not.toContain('bedrock');
    expect((await statements(devWithBedrock, 'app-task')).at(-1)).toEqual({
      Sid: 'InvokeBedrockModels',
      Effect: 'Allow',
      Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      Resource: ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0'],
    });
  });
});

describe('load balancer and service: tuned for streamed answers', () => {
  test('the constants agree with the app: heartbeat shorter than the idle timeout, drain shorter than deregistration', () => {
    // src/config.ts bounds HEARTBEAT_MS; src/main.ts drains answers for a fixed time on SIGTERM.
    const heartbeatMax = Number(
      /HEARTBEAT_MS: positiveInt\([\d_]+, ([\d_]+)\)/.exec(appSource('config.ts'))?.[1]?.replaceAll('_', ''),
    );
    const drainMs = Number(/chat\.shutdown\(([\d_]+)\)/.exec(appSource('main.ts'))?.[1]?.replaceAll('_', ''));
    expect(heartbeatMax).toBeGreaterThan(0);
    expect(drainMs).toBe(APP_DRAIN_SECONDS * 1000);
    expect(APP_HEARTBEAT_MS).toBeLessThanOrEqual(heartbeatMax);
    expect(ALB_IDLE_TIMEOUT_SECONDS * 1000).toBeGreaterThan(heartbeatMax);
    expect(DEREGISTRATION_DELAY_SECONDS).toBeGreaterThanOrEqual(APP_DRAIN_SECONDS);
    expect(STOP_TIMEOUT_SECONDS).toBeGreaterThan(APP_DRAIN_SECONDS);
    expect(STOP_TIMEOUT_SECONDS).toBeLessThanOrEqual(120); // Fargate's maximum
  });

  for (const [stack, run] of STACKS) {
    test(`${stack}: ALB idle timeout longer than the heartbeat the task is given`, async () => {
      const { get } = await run();
      const alb = get(TYPES.loadBalancer, 'app-alb').inputs;
      expect(alb.internal).toBe(false);
      expect(alb.subnets).toEqual(['network-public-0-id', 'network-public-1-id']);
      expect(alb.securityGroups).toEqual(['network-alb-id']);
      const heartbeat = Number((await app(run)).environment.find((e: Inputs) => e.name === 'HEARTBEAT_MS').value);
      expect(heartbeat).toBe(APP_HEARTBEAT_MS);
      expect(alb.idleTimeout * 1000).toBeGreaterThan(heartbeat);
    });

    test(`${stack}: target group checks /healthz and drains at least as long as the app does`, async () => {
      const tg = (await run()).get(TYPES.targetGroup, 'app-tg').inputs;
      expect(tg).toMatchObject({ targetType: 'ip', port: 3000, protocol: 'HTTP', vpcId: 'network-vpc-id' });
      expect(tg.healthCheck).toMatchObject({ path: '/healthz', matcher: '200' });
      expect(tg.healthCheck.timeout).toBeLessThan(tg.healthCheck.interval);
      expect(tg.deregistrationDelay).toBeGreaterThanOrEqual(APP_DRAIN_SECONDS);
    });

    test(`${stack}: the container stops gracefully, checks itself, and logs to its log group`, async () => {
      const { get } = await run();
      const container = await app(run);
      expect(container.stopTimeout).toBe(STOP_TIMEOUT_SECONDS);
      expect(container.portMappings).toEqual([{ containerPort: 3000, protocol: 'tcp' }]);
      expect(container.healthCheck.command).toEqual(['CMD', '/app/ragchat', 'healthcheck']);
      expect(container.environment).toContainEqual({ name: 'TRUST_PROXY', value: '1' });
      // As many model streams at once as the task has answers (Bun's default is 256).
      expect(container.environment).toContainEqual({ name: 'BUN_CONFIG_MAX_HTTP_REQUESTS', value: '65535' });
      // The app answers to its balancer's name (any other Host is refused as DNS rebinding).
      const hosts = container.environment.find((e: { name: string }) => e.name === 'ALLOWED_HOSTS')?.value ?? '';
      expect(hosts.split(',')).toContain('app-alb-123456.us-east-1.elb.amazonaws.com');
      const idle = container.environment.find((e: { name: string }) => e.name === 'IDLE_TIMEOUT_S')?.value;
      expect(Number(idle)).toBeGreaterThan(get(TYPES.loadBalancer, 'app-alb').inputs.idleTimeout);
      const logs = get(TYPES.logGroup, 'app-logs').inputs;
      expect(container.logConfiguration).toEqual({
        logDriver: 'awslogs',
        options: { 'awslogs-group': logs.name, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'app' },
      });
    });

    test(`${stack}: the service runs in the private subnets, behind the target group, and rolls back a failed deploy`, async () => {
      const { get } = await run();
      const svc = get(TYPES.ecsService, 'app-service').inputs;
      expect(svc.launchType).toBe('FARGATE');
      expect(svc.networkConfiguration).toEqual({
        subnets: ['network-private-0-id', 'network-private-1-id'],
        securityGroups: ['network-app-id'],
        assignPublicIp: false,
      });
      expect(svc.loadBalancers).toEqual([
        {
          targetGroupArn: 'arn:aws:mock:us-east-1:123456789012:targetgroup/app-tg',
          containerName: 'app',
          containerPort: 3000,
        },
      ]);
      expect(svc.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
      const task = get(TYPES.taskDefinition, 'app-task').inputs;
      expect(task.requiresCompatibilities).toEqual(['FARGATE']);
      expect(task.networkMode).toBe('awsvpc');
      expect(task.runtimePlatform).toEqual({ operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' });
    });
  }

  test('dev (no certificate): HTTP forwards to the app; there is no HTTPS listener', async () => {
    const { ofType, outputs } = await dev();
    const listeners = ofType(TYPES.listener);
    expect(listeners.map((l) => l.inputs.port)).toEqual([80]);
    expect(listeners[0]!.inputs.defaultActions).toEqual([
      { type: 'forward', targetGroupArn: 'arn:aws:mock:us-east-1:123456789012:targetgroup/app-tg' },
    ]);
    expect(outputs.url).toBe('http://app-alb-123456.us-east-1.elb.amazonaws.com');
  });

  test('prod (certificate): HTTP redirects to HTTPS; HTTPS forwards with a TLS 1.2+ policy', async () => {
    const { get, ofType, outputs } = await prod();
    expect(
      ofType(TYPES.listener)
        .map((l) => l.inputs.port)
        .sort(),
    ).toEqual([443, 80]);
    expect(get(TYPES.listener, 'app-http').inputs.defaultActions).toEqual([
      { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
    ]);
    const https = get(TYPES.listener, 'app-https').inputs;
    expect(https).toMatchObject({
      protocol: 'HTTPS',
      certificateArn: PROD_SETTINGS['ragchat:certificateArn'],
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
    expect(https.defaultActions[0].type).toBe('forward');
    expect(get(TYPES.record, 'domain').inputs).toMatchObject({
      name: 'chat.example.com',
      zoneId: PROD_SETTINGS['ragchat:hostedZoneId'],
      type: 'A',
    });
    expect(outputs.url).toBe('https://chat.example.com');
  });

  test('the service is created after every listener (ECS refuses a target group no listener uses)', async () => {
    for (const [run, listeners] of [
      [dev, ['app-http']],
      [prod, ['app-https', 'app-http']],
    ] as const) {
      const { get } = await run();
      const service = get(TYPES.ecsService, 'app-service');
      for (const listener of listeners) expect(service.dependsOn).toContain(get(TYPES.listener, listener).urn);
    }
  });

  test('auto-scaling on CPU: dev 1–2 tasks, prod 2–6', async () => {
    for (const [run, min, max, target, desired] of [
      [dev, 1, 2, 70, 1],
      [prod, 2, 6, 60, 2],
    ] as const) {
      const { get } = await run();
      expect(get(TYPES.scalingTarget, 'app-scaling').inputs).toMatchObject({
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        minCapacity: min,
        maxCapacity: max,
      });
      const cpu = get(TYPES.scalingPolicy, 'app-cpu').inputs;
      expect(cpu.policyType).toBe('TargetTrackingScaling');
      expect(cpu.targetTrackingScalingPolicyConfiguration).toMatchObject({
        predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        targetValue: target,
      });
      expect(get(TYPES.ecsService, 'app-service').inputs.desiredCount).toBe(desired);
    }
  });

  test('logs are kept 14 days in dev, 90 in prod', async () => {
    expect((await dev()).get(TYPES.logGroup, 'app-logs').inputs).toMatchObject({
      name: '/ecs/ragchat-dev/app',
      retentionInDays: 14,
    });
    expect((await dev()).get(TYPES.logGroup, 'qdrant-logs').inputs.retentionInDays).toBe(14);
    expect((await prod()).get(TYPES.logGroup, 'app-logs').inputs).toMatchObject({
      name: '/ecs/ragchat-prod/app',
      retentionInDays: 90,
    });
  });
});

describe('stack outputs', () => {
  test('the URL, the ECR repository, the bucket, the log group, and what a one-off ingest task needs', async () => {
    const { outputs } = await dev();
    expect(outputs).toEqual({
      url: 'http://app-alb-123456.us-east-1.elb.amazonaws.com',
      ecrRepositoryUrl: REPO,
      imageRef: `${REPO}@${MOCK_DIGEST}`,
      bucketName: 'storage-docs-0a1b2c3',
      logBucketName: 'logging-logs-0a1b2c3',
      logGroupName: '/ecs/ragchat-dev/app',
      clusterName: 'ragchat-dev',
      serviceName: 'app-service-0a1b2c3',
      taskDefinitionFamily: 'ragchat-dev-app',
      privateSubnetIds: ['network-private-0-id', 'network-private-1-id'],
      appSecurityGroupId: 'network-app-id',
      databaseSecretArn: DB_SECRET_ARN,
    });
  });

  test('index.ts exports every output deploy() returns', () => {
    const index = readFileSync(join(import.meta.dirname, '..', 'index.ts'), 'utf8');
    const exported = [...index.matchAll(/^export const (\w+) = outputs\.(\w+);$/gm)].map((m) => [m[1], m[2]]);
    for (const [name, field] of exported) expect(name).toBe(field!);
    return dev().then(({ outputs }) => expect(exported.map(([n]) => n).sort()).toEqual(Object.keys(outputs).sort()));
  });
});
