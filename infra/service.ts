import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { logStatement, type Statement, taskRole } from './iam.ts';
import { APP_PORT } from './network.ts';

/**
 * The app's SSE heartbeat (HEARTBEAT_MS, set explicitly in the task). The app accepts at most
 * 14 000 ms (src/config.ts); the load balancer's idle timeout must be longer, or a stream waiting
 * for the model's first token would be cut.
 */
export const APP_HEARTBEAT_MS = 10_000;
/** Long enough for a quiet stream (several heartbeats), short enough to free dead connections. */
export const ALB_IDLE_TIMEOUT_SECONDS = 120;
/** On SIGTERM the app lets answers in flight finish for up to 25 s (src/main.ts), then closes. */
export const APP_DRAIN_SECONDS = 25;
/**
 * ECS stops a task behind a load balancer in two steps: it deregisters the target and waits this
 * long (no new requests; streams already open go on), then sends SIGTERM. So an answer in flight
 * gets this plus APP_DRAIN_SECONDS.
 */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** SIGTERM → SIGKILL: the app's drain plus time to close its pools (Fargate allows up to 120). */
export const STOP_TIMEOUT_SECONDS = APP_DRAIN_SECONDS + 10;
export const HEALTH_CHECK_PATH = '/healthz';
const CONTAINER_NAME = 'app';
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

export interface AppServiceArgs {
  /** Physical-name prefix, e.g. `ragchat-prod`. */
  namePrefix: string;
  region: string;
  clusterArn: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  privateSubnetIds: pulumi.Input<string>[];
  albSecurityGroupId: pulumi.Input<string>;
  appSecurityGroupId: pulumi.Input<string>;
  /** `repo@sha256:...`: the task runs exactly the image this deployment pushed. */
  imageRef: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  cpu: number;
  memory: number;
  desiredCount: number;
  minCount: number;
  maxCount: number;
  cpuTargetPercent: number;
  requestsPerTarget?: number;
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
  /** ALB deletion protection (prod): `pulumi destroy` fails until it is lifted. */
  deletionProtection: boolean;
  /** The ALB's access logs: the log bucket, its prefix, and the policy that must exist first. */
  accessLogs: { bucket: pulumi.Input<string>; prefix: string; policy: pulumi.Resource };
  /** With a certificate: HTTPS on 443, and HTTP answers with a redirect to it. */
  certificateArn?: string;
  tags: Record<string, string>;
}

/**
 * The app: an ECS Fargate service in the private subnets behind an internet-facing Application
 * Load Balancer, its task and execution roles, its log group, and auto-scaling. Tuned for
 * streamed answers: the idle timeout outlasts the heartbeat, and a stopping task drains.
 */
export class AppService extends pulumi.ComponentResource {
  readonly albDnsName: pulumi.Output<string>;
  readonly albZoneId: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly taskDefinitionFamily: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly taskRoleArn: pulumi.Output<string>;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:AppService', name, {}, opts);
    const parent = { parent: this };
    const tags = args.tags;

    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/ecs/${args.namePrefix}/app`, retentionInDays: args.logRetentionDays, tags },
      parent,
    );

    // Execution role: what ECS itself does to start the task: pull the image, write the logs,
    // read this app's secrets into its environment.
    const executionStatements: Statement[] = [
      // GetAuthorizationToken has no resource-level permissions: it is `*` or nothing.
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
      {
        Sid: 'PullAppImage',
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        Resource: args.repositoryArn,
      },
      logStatement(logs.arn),
    ];
    if (args.ssmParameterArns.length > 0)
      executionStatements.push({
        Sid: 'ReadAppParameters',
        Effect: 'Allow',
        Action: ['ssm:GetParameters'],
        Resource: args.ssmParameterArns,
      });
    if (args.secretsManagerArns.length > 0)
      executionStatements.push({
        Sid: 'ReadAppSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: args.secretsManagerArns,
      });
    const executionRole = taskRole(
      `${name}-execution`,
      'Starts ragchat tasks: image, logs, secrets',
      executionStatements,
      {
        parent: this,
        tags,
      },
    );

    // Task role: what the app's own code calls. It reads no secret at run time (ECS passes them in).
    const taskStatements: Statement[] = [
      { Sid: 'ListDocuments', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: args.bucketArn },
      {
        Sid: 'ReadWriteDocuments',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: pulumi.interpolate`${args.bucketArn}/*`,
      },
    ];
    if (args.bedrockModelArns !== undefined)
      taskStatements.push({
        Sid: 'InvokeBedrockModels',
        Effect: 'Allow',
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Resource: args.bedrockModelArns,
      });
    const role = taskRole(`${name}-task`, 'The ragchat app: its documents bucket, its Bedrock models', taskStatements, {
      parent: this,
      tags,
    });

    // Load balancer.
    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: 'application',
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [args.albSecurityGroupId],
        idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection,
        // ELB writes a test object when logging is switched on and fails if it may not.
        accessLogs: { enabled: true, bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix },
        tags,
      },
      { parent: this, dependsOn: [args.accessLogs.policy] },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        targetType: 'ip',
        port: APP_PORT,
        protocol: 'HTTP',
        deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
        healthCheck: {
          path: HEALTH_CHECK_PATH,
          matcher: '200',
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags,
      },
      parent,
    );
    const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
    const listeners: aws.lb.Listener[] = [];
    if (args.certificateArn) {
      listeners.push(
        new aws.lb.Listener(
          `${name}-https`,
          {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: 'HTTPS',
            certificateArn: args.certificateArn,
            sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            defaultActions: forward,
            tags,
          },
          parent,
        ),
      );
    }
    listeners.push(
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: args.certificateArn
            ? [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }]
            : forward,
          tags,
        },
        parent,
      ),
    );

    const byName = <T>(record: Record<string, T>) => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
    const logConfiguration = (streamPrefix: string) => ({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': logs.name,
        'awslogs-region': args.region,
        'awslogs-stream-prefix': streamPrefix,
      },
    });
    const scratchMount = [{ sourceVolume: 'scratch', containerPath: SCRATCH_PATH, readOnly: false }];
    const app = {
      name: CONTAINER_NAME,
      image: args.imageRef,
      essential: true,
      portMappings: [{ containerPort: APP_PORT, protocol: 'tcp' }],
      // The app refuses a Host it does not know (DNS rebinding), so it is told its balancer's name
      // beside any the program gave (a custom domain comes in through PUBLIC_URL).
      environment: byName({
        ...args.environment,
        ALLOWED_HOSTS: pulumi
          .all([alb.dnsName, args.environment.ALLOWED_HOSTS ?? ''])
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
      logConfiguration: logConfiguration(CONTAINER_NAME),
      ...(args.readonlyRootFilesystem && {
        readonlyRootFilesystem: true,
        mountPoints: scratchMount,
        dependsOn: [{ containerName: SCRATCH_INIT_NAME, condition: 'SUCCESS' }],
      }),
    };
    // Root only for this one chmod: the sticky, world-writable mode /tmp has everywhere (1777).
    const scratchInit = {
      name: SCRATCH_INIT_NAME,
      image: SCRATCH_INIT_IMAGE,
      essential: false,
      user: '0',
      command: ['chmod', '1777', SCRATCH_PATH],
      readonlyRootFilesystem: true,
      mountPoints: scratchMount,
      logConfiguration: logConfiguration(SCRATCH_INIT_NAME),
    };
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: `${args.namePrefix}-app`,
        cpu: String(args.cpu),
        memory: String(args.memory),
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        // The image is built for linux/amd64 (image.ts).
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        executionRoleArn: executionRole.arn,
        taskRoleArn: role.arn,
        // A bind mount on the task's ephemeral storage: gone when the task stops.
        volumes: args.readonlyRootFilesystem ? [{ name: 'scratch' }] : [],
        // The app first: `aws ecs run-task --overrides` (README) and the tests name it.
        containerDefinitions: pulumi.jsonStringify(args.readonlyRootFilesystem ? [app, scratchInit] : [app]),
        tags,
      },
      parent,
    );

    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.clusterArn,
        taskDefinition: taskDefinition.arn,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        desiredCount: args.desiredCount,
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        // The first start runs migrations (and, in dev, ingests the sample documents).
        healthCheckGracePeriodSeconds: 120,
        networkConfiguration: {
          subnets: args.privateSubnetIds,
          securityGroups: [args.appSecurityGroupId],
          assignPublicIp: false,
        },
        loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: CONTAINER_NAME, containerPort: APP_PORT }],
        propagateTags: 'SERVICE',
        tags,
      },
      // Auto-scaling owns the running count once the service exists.
      { parent: this, dependsOn: listeners, ignoreChanges: ['desiredCount'] },
    );

    const scaling = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.interpolate`service/${args.clusterName}/${service.name}`,
        minCapacity: args.minCount,
        maxCapacity: args.maxCount,
        tags,
      },
      parent,
    );
    const scalingTarget = {
      resourceId: scaling.resourceId,
      scalableDimension: scaling.scalableDimension,
      serviceNamespace: scaling.serviceNamespace,
    };
    new aws.appautoscaling.Policy(
      `${name}-cpu`,
      {
        ...scalingTarget,
        policyType: 'TargetTrackingScaling',
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          targetValue: args.cpuTargetPercent,
          scaleOutCooldown: 60,
          // Slow to scale in: a removed task drains its streams first.
          scaleInCooldown: 300,
        },
      },
      parent,
    );
    if (args.requestsPerTarget !== undefined) {
      new aws.appautoscaling.Policy(
        `${name}-requests`,
        {
          ...scalingTarget,
          policyType: 'TargetTrackingScaling',
          targetTrackingScalingPolicyConfiguration: {
            predefinedMetricSpecification: {
              predefinedMetricType: 'ALBRequestCountPerTarget',
              resourceLabel: pulumi.interpolate`${alb.arnSuffix}/${targetGroup.arnSuffix}`,
            },
            targetValue: args.requestsPerTarget,
            scaleOutCooldown: 60,
            scaleInCooldown: 300,
          },
        },
        parent,
      );
    }

    this.albDnsName = alb.dnsName;
    this.albZoneId = alb.zoneId;
    this.logGroupName = logs.name;
    this.taskDefinitionFamily = taskDefinition.family;
    this.serviceName = service.name;
    this.taskRoleArn = role.arn;
    this.registerOutputs({
      albDnsName: this.albDnsName,
      logGroupName: this.logGroupName,
      taskDefinitionFamily: this.taskDefinitionFamily,
      serviceName: this.serviceName,
    });
  }
}
