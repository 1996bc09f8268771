import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { fargateTask } from './fargate.ts';
import { logStatement, type Statement, taskRole } from './iam.ts';
import { movedChildOptions } from './moved-children.ts';
import { APP_PORT } from './network.ts';
import { STOP_TIMEOUT_SECONDS } from './timeouts.ts';

/** The app's container: the load balancer sends to it, `aws ecs run-task --overrides` (README) names it. */
export const APP_CONTAINER_NAME = 'app';
/** The one writable path when the root filesystem is read-only. */
export const SCRATCH_PATH = '/tmp';
/**
 * A one-shot container that opens the scratch volume to the app. Fargate creates a bind-mount
 * volume owned by root with mode 0755 unless the image declares that path as a `VOLUME` (then
 * the image's ownership is copied), and the app's image runs as uid 65532 without one
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html, "Considerations").
 * Public ECR's copy of the Docker official image: no Docker Hub pull limits, no registry login.
 */
export const SCRATCH_INIT_IMAGE = 'public.ecr.aws/docker/library/busybox:1.37';
const SCRATCH_INIT_NAME = 'scratch-init';

export interface AppTaskArgs {
  /** Physical-name prefix, e.g. `ragchat-prod`. */
  namePrefix: string;
  region: string;
  /** `repo@sha256:...`: the task runs exactly the image this deployment pushed. */
  imageRef: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  cpu: number;
  memory: number;
  logRetentionDays: number;
  /** Plain settings: nothing secret (the tests check every value against the secrets). */
  environment: Record<string, pulumi.Input<string>>;
  /** Environment variable → `valueFrom` (an SSM parameter ARN, or `<secret-arn>:<json-key>::`). */
  secrets: Record<string, pulumi.Input<string>>;
  /** What the execution role may read to fill `secrets`, and nothing more. */
  ssmParameterArns: pulumi.Input<string>[];
  secretsManagerArns: pulumi.Input<string>[];
  bucketArn: pulumi.Input<string>;
  /** Bedrock ARNs the task may invoke (bedrock.ts); absent, the role gets no Bedrock permission. */
  bedrockModelArns?: pulumi.Input<string[]>;
  /**
   * The app's container with a read-only root filesystem and `/tmp` (an ephemeral task volume)
   * its only writable path: for stacks where SQLite holds no data (program.ts decides).
   */
  readonlyRootFilesystem: boolean;
  /** The load balancer's DNS name: the app answers to it (ALLOWED_HOSTS). */
  albDnsName: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * What one app task is: its Fargate task definition (the app's container, and the scratch-init
 * one when the root filesystem is read-only), the two roles it runs with (execution: what ECS
 * does to start it; task: what the app's code calls), and the log group both containers write.
 */
export class AppTask extends pulumi.ComponentResource {
  readonly taskDefinitionArn: pulumi.Output<string>;
  readonly family: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly taskRoleArn: pulumi.Output<string>;

  constructor(name: string, args: AppTaskArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:AppTask', name, {}, opts);
    const child = movedChildOptions(this, opts);
    const tags = args.tags;

    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/ecs/${args.namePrefix}/app`, retentionInDays: args.logRetentionDays, tags },
      child,
    );
    const executionRole = taskRole(
      `${name}-execution`,
      'Starts ragchat tasks: image, logs, secrets',
      executionStatements(args, logs.arn),
      { ...child, tags },
    );
    const role = taskRole(
      `${name}-task`,
      'The ragchat app: its documents bucket, its Bedrock models',
      taskStatements(args),
      { ...child, tags },
    );
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        ...fargateTask({
          family: `${args.namePrefix}-app`,
          cpu: args.cpu,
          memory: args.memory,
          executionRoleArn: executionRole.arn,
          taskRoleArn: role.arn,
        }),
        // A bind mount on the task's ephemeral storage: gone when the task stops.
        volumes: args.readonlyRootFilesystem ? [{ name: 'scratch' }] : [],
        containerDefinitions: pulumi.jsonStringify(containerDefinitions(args, logs.name)),
        tags,
      },
      child,
    );

    this.taskDefinitionArn = taskDefinition.arn;
    this.family = taskDefinition.family;
    this.logGroupName = logs.name;
    this.taskRoleArn = role.arn;
    this.registerOutputs({ family: this.family, logGroupName: this.logGroupName });
  }
}

/** The execution role: what ECS itself does to start the task: pull the image, write the logs, read this app's secrets into its environment. */
function executionStatements(args: AppTaskArgs, logGroupArn: pulumi.Input<string>): Statement[] {
  const statements: Statement[] = [
    // GetAuthorizationToken has no resource-level permissions: it is `*` or nothing.
    { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
    {
      Sid: 'PullAppImage',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: args.repositoryArn,
    },
    logStatement(logGroupArn),
  ];
  if (args.ssmParameterArns.length > 0)
    statements.push({
      Sid: 'ReadAppParameters',
      Effect: 'Allow',
      Action: ['ssm:GetParameters'],
      Resource: args.ssmParameterArns,
    });
  if (args.secretsManagerArns.length > 0)
    statements.push({
      Sid: 'ReadAppSecrets',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: args.secretsManagerArns,
    });
  return statements;
}

/** The task role: what the app's own code calls. It reads no secret at run time (ECS passes them in). */
function taskStatements(args: AppTaskArgs): Statement[] {
  const statements: Statement[] = [
    { Sid: 'ListDocuments', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: args.bucketArn },
    {
      Sid: 'ReadWriteDocuments',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: pulumi.interpolate`${args.bucketArn}/*`,
    },
  ];
  if (args.bedrockModelArns !== undefined)
    statements.push({
      Sid: 'InvokeBedrockModels',
      Effect: 'Allow',
      Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      Resource: args.bedrockModelArns,
    });
  return statements;
}

const SCRATCH_MOUNT = [{ sourceVolume: 'scratch', containerPath: SCRATCH_PATH, readOnly: false }];

/** The app first: `aws ecs run-task --overrides` (README) and the tests name it. */
function containerDefinitions(args: AppTaskArgs, logGroupName: pulumi.Input<string>) {
  const logConfiguration = (streamPrefix: string) => ({
    logDriver: 'awslogs',
    options: { 'awslogs-group': logGroupName, 'awslogs-region': args.region, 'awslogs-stream-prefix': streamPrefix },
  });
  const app = appContainer(args, logConfiguration(APP_CONTAINER_NAME));
  if (!args.readonlyRootFilesystem) return [app];
  // Root only for this one chmod: the sticky, world-writable mode /tmp has everywhere (1777).
  const scratchInit = {
    name: SCRATCH_INIT_NAME,
    image: SCRATCH_INIT_IMAGE,
    essential: false,
    user: '0',
    command: ['chmod', '1777', SCRATCH_PATH],
    readonlyRootFilesystem: true,
    mountPoints: SCRATCH_MOUNT,
    logConfiguration: logConfiguration(SCRATCH_INIT_NAME),
  };
  return [app, scratchInit];
}

function appContainer(args: AppTaskArgs, logConfiguration: object) {
  const byName = <T>(record: Record<string, T>) => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return {
    name: APP_CONTAINER_NAME,
    image: args.imageRef,
    essential: true,
    portMappings: [{ containerPort: APP_PORT, protocol: 'tcp' }],
    // The app refuses a Host it does not know (DNS rebinding), so it is told its balancer's name
    // beside any the program gave (a custom domain comes in through PUBLIC_URL).
    environment: byName({
      ...args.environment,
      ALLOWED_HOSTS: pulumi
        .all([args.albDnsName, args.environment.ALLOWED_HOSTS ?? ''])
        .apply(([dns, extra]) => [dns, ...extra.split(',')].filter(Boolean).join(',')),
    }).map(([n, value]) => ({ name: n, value })),
    secrets: byName(args.secrets).map(([n, valueFrom]) => ({ name: n, valueFrom })),
    // The binary's own probe (the image has no shell or curl).
    healthCheck: {
      command: ['CMD', '/app/ragchat', 'healthcheck'],
      interval: 15,
      timeout: 5,
      retries: 3,
      startPeriod: 30,
    },
    stopTimeout: STOP_TIMEOUT_SECONDS,
    logConfiguration,
    ...(args.readonlyRootFilesystem && {
      readonlyRootFilesystem: true,
      mountPoints: SCRATCH_MOUNT,
      dependsOn: [{ containerName: SCRATCH_INIT_NAME, condition: 'SUCCESS' }],
    }),
  };
}
