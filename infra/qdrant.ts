import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { fargateTask } from './fargate.ts';
import { logStatement, taskRole } from './iam.ts';
import { QDRANT_PORT } from './network.ts';

/** Qdrant's user in the EFS access point: every file it writes is owned by this uid/gid. */
const QDRANT_UID = '1000';
const STORAGE_PATH = '/qdrant/storage';

export interface QdrantArgs {
  clusterArn: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  efsSecurityGroupId: pulumi.Input<string>;
  image: string;
  cpu: number;
  memory: number;
  logRetentionDays: number;
  region: string;
  /** Physical-name prefix, e.g. `ragchat-dev`. */
  namePrefix: string;
  tags: Record<string, string>;
}

/**
 * Qdrant as a second Fargate service from the official image: exactly one task (its storage is
 * not meant for several writers, so deployments stop the old task before starting the new one),
 * storage on an encrypted EFS file system through an access point, mount targets in the private
 * subnets, and a private DNS name (`qdrant.<prefix>.internal`, Cloud Map) that only the app's
 * security group may reach.
 *
 * Qdrant's documentation recommends block storage over network file systems; this suits a
 * small corpus (dev). Prod uses Qdrant Cloud by default (`qdrant: cloud`). The index can always
 * be rebuilt from the originals in S3 (`ragchat ingest --reindex`), so EFS has no backup policy.
 */
export class Qdrant extends pulumi.ComponentResource {
  /** `http://qdrant.<prefix>.internal:6333`, resolvable inside the VPC only. */
  readonly url: pulumi.Output<string>;
  readonly fileSystemId: pulumi.Output<string>;

  constructor(name: string, args: QdrantArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:Qdrant', name, {}, opts);
    const parent = { parent: this };

    const storage = efsStorage(name, args, parent);
    const { namespace, discovery } = privateName(name, args, parent);
    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/ecs/${args.namePrefix}/qdrant`, retentionInDays: args.logRetentionDays, tags: args.tags },
      parent,
    );
    const taskDefinition = qdrantTask(name, args, storage, logs, parent);

    new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.clusterArn,
        taskDefinition: taskDefinition.arn,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        // One task, never two: a deployment stops the old task before it starts the new one.
        desiredCount: 1,
        deploymentMinimumHealthyPercent: 0,
        deploymentMaximumPercent: 100,
        networkConfiguration: {
          subnets: args.privateSubnetIds,
          securityGroups: [args.securityGroupId],
          assignPublicIp: false,
        },
        serviceRegistries: { registryArn: discovery.arn },
        propagateTags: 'SERVICE',
        tags: args.tags,
      },
      { parent: this, dependsOn: storage.mountTargets },
    );

    this.url = pulumi.interpolate`http://${discovery.name}.${namespace.name}:${QDRANT_PORT}`;
    this.fileSystemId = storage.fs.id;
    this.registerOutputs({ url: this.url, fileSystemId: this.fileSystemId });
  }
}

interface EfsStorage {
  fs: aws.efs.FileSystem;
  /** The service must wait for them: a task cannot mount the file system before they exist. */
  mountTargets: aws.efs.MountTarget[];
  accessPoint: aws.efs.AccessPoint;
}

/** The encrypted file system, a mount target per private subnet, Qdrant's access point, TLS only. */
function efsStorage(name: string, args: QdrantArgs, parent: pulumi.CustomResourceOptions): EfsStorage {
  const fs = new aws.efs.FileSystem(
    `${name}-storage`,
    {
      encrypted: true,
      performanceMode: 'generalPurpose',
      throughputMode: 'elastic',
      tags: { ...args.tags, Name: `${args.namePrefix}-qdrant` },
    },
    parent,
  );
  const mountTargets = args.privateSubnetIds.map(
    (subnetId, i) =>
      new aws.efs.MountTarget(
        `${name}-storage-${i}`,
        { fileSystemId: fs.id, subnetId, securityGroups: [args.efsSecurityGroupId] },
        parent,
      ),
  );
  const accessPoint = new aws.efs.AccessPoint(
    `${name}-storage`,
    {
      fileSystemId: fs.id,
      posixUser: { uid: Number(QDRANT_UID), gid: Number(QDRANT_UID) },
      rootDirectory: {
        path: '/qdrant',
        creationInfo: { ownerUid: Number(QDRANT_UID), ownerGid: Number(QDRANT_UID), permissions: '750' },
      },
      tags: args.tags,
    },
    parent,
  );
  new aws.efs.FileSystemPolicy(
    `${name}-storage`,
    {
      fileSystemId: fs.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyUnencryptedTransport',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: '*',
            Resource: fs.arn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    },
    parent,
  );
  return { fs, mountTargets, accessPoint };
}

/** The private DNS name `qdrant.<prefix>.internal` (Cloud Map), resolvable inside the VPC only. */
function privateName(name: string, args: QdrantArgs, parent: pulumi.CustomResourceOptions) {
  const namespace = new aws.servicediscovery.PrivateDnsNamespace(
    `${name}-dns`,
    { name: `${args.namePrefix}.internal`, vpc: args.vpcId, description: 'ragchat private names', tags: args.tags },
    parent,
  );
  const discovery = new aws.servicediscovery.Service(
    `${name}-dns`,
    {
      name: 'qdrant',
      dnsConfig: {
        namespaceId: namespace.id,
        routingPolicy: 'MULTIVALUE',
        dnsRecords: [{ type: 'A', ttl: 10 }],
      },
      forceDestroy: true,
      tags: args.tags,
    },
    parent,
  );
  return { namespace, discovery };
}

/**
 * The Qdrant task: its roles (the execution role only writes logs: the image is public; the task
 * role only mounts the access point) and its one container, storage on the EFS volume.
 */
function qdrantTask(
  name: string,
  args: QdrantArgs,
  { fs, accessPoint }: EfsStorage,
  logs: aws.cloudwatch.LogGroup,
  parent: pulumi.CustomResourceOptions,
): aws.ecs.TaskDefinition {
  // The image is public on Docker Hub: the execution role needs no registry permission.
  const executionRole = taskRole(
    `${name}-execution`,
    'Starts the Qdrant task: writes its logs',
    [logStatement(logs.arn)],
    { ...parent, tags: args.tags },
  );
  const role = taskRole(
    `${name}-task`,
    'The Qdrant task: mounts its EFS access point',
    [
      {
        Sid: 'MountStorage',
        Effect: 'Allow',
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        Resource: fs.arn,
        Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.arn } },
      },
    ],
    { ...parent, tags: args.tags },
  );

  return new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      ...fargateTask({
        family: `${args.namePrefix}-qdrant`,
        cpu: args.cpu,
        memory: args.memory,
        executionRoleArn: executionRole.arn,
        taskRoleArn: role.arn,
      }),
      volumes: [
        {
          name: 'storage',
          efsVolumeConfiguration: {
            fileSystemId: fs.id,
            transitEncryption: 'ENABLED',
            authorizationConfig: { accessPointId: accessPoint.id, iam: 'ENABLED' },
          },
        },
      ],
      containerDefinitions: pulumi.jsonStringify([qdrantContainer(args, logs.name)]),
      tags: args.tags,
    },
    parent,
  );
}

/** Qdrant's one container: the REST port, storage on the EFS volume, no telemetry. */
function qdrantContainer(args: QdrantArgs, logGroupName: pulumi.Output<string>) {
  return {
    name: 'qdrant',
    image: args.image,
    essential: true,
    portMappings: [{ containerPort: QDRANT_PORT, protocol: 'tcp' }],
    mountPoints: [{ sourceVolume: 'storage', containerPath: STORAGE_PATH, readOnly: false }],
    environment: [{ name: 'QDRANT__TELEMETRY_DISABLED', value: 'true' }],
    // The image has bash but no curl: a TCP connect to the REST port (as in docker-compose.yml).
    healthCheck: {
      command: ['CMD-SHELL', `bash -c ':> /dev/tcp/127.0.0.1/${QDRANT_PORT}' || exit 1`],
      interval: 15,
      timeout: 5,
      retries: 3,
      startPeriod: 30,
    },
    // Time to flush its write-ahead log on SIGTERM.
    stopTimeout: 30,
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': logGroupName,
        'awslogs-region': args.region,
        'awslogs-stream-prefix': 'qdrant',
      },
    },
  };
}
