import { describe, expect, test } from 'bun:test';
import { containers, isSecret, PROD_SETTINGS, policy, runStack, TEST_SECRETS, TYPES } from './harness.ts';

const dev = () => runStack('dev');
const prod = () => runStack('prod', PROD_SETTINGS, TEST_SECRETS);
const PRIVATE_SUBNETS = ['network-private-0-id', 'network-private-1-id'];

const appContainer = async (run: typeof dev) => containers((await run()).get(TYPES.taskDefinition, 'app-task'))[0]!;

describe('qdrant on Fargate (dev)', () => {
  test('storage: an encrypted EFS file system, an access point, a mount target in each private subnet', async () => {
    const { ofType, get } = await dev();
    expect(ofType(TYPES.efs)).toHaveLength(1);
    expect(get(TYPES.efs, 'qdrant-storage').inputs.encrypted).toBe(true);
    const mounts = ofType(TYPES.mountTarget);
    expect(mounts.map((m) => m.inputs.subnetId).sort()).toEqual(PRIVATE_SUBNETS);
    for (const m of mounts) expect(m.inputs.securityGroups).toEqual(['network-efs-id']);
    const ap = get(TYPES.accessPoint, 'qdrant-storage').inputs;
    expect(ap.fileSystemId).toBe('qdrant-storage-id');
    expect(ap.posixUser).toEqual({ uid: 1000, gid: 1000 });
    expect(ap.rootDirectory.path).toBe('/qdrant');
  });

  test('the task mounts the access point with TLS and IAM, at Qdrant’s storage path', async () => {
    const { get } = await dev();
    const task = get(TYPES.taskDefinition, 'qdrant-task');
    expect(task.inputs.volumes).toEqual([
      {
        name: 'storage',
        efsVolumeConfiguration: {
          fileSystemId: 'qdrant-storage-id',
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: 'qdrant-storage-id', iam: 'ENABLED' },
        },
      },
    ]);
    const [qdrant] = containers(task);
    expect(qdrant!.image).toMatch(/^qdrant\/qdrant:v\d+\.\d+\.\d+$/);
    expect(qdrant!.mountPoints).toEqual([
      { sourceVolume: 'storage', containerPath: '/qdrant/storage', readOnly: false },
    ]);
    expect(qdrant!.portMappings).toEqual([{ containerPort: 6333, protocol: 'tcp' }]);
    // Its role may mount only through the access point.
    const [mount] = policy(get(TYPES.rolePolicy, 'qdrant-task')).Statement;
    expect(mount!.Action).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    expect(mount!.Condition).toEqual({
      StringEquals: {
        'elasticfilesystem:AccessPointArn':
          'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-qdrant-storage',
      },
    });
  });

  test('exactly one task, never two at once, in the private subnets, behind no load balancer', async () => {
    const { get } = await dev();
    const svc = get(TYPES.ecsService, 'qdrant-service').inputs;
    expect(svc.desiredCount).toBe(1);
    expect(svc.deploymentMaximumPercent).toBe(100);
    expect(svc.deploymentMinimumHealthyPercent).toBe(0);
    expect(svc.networkConfiguration).toEqual({
      subnets: PRIVATE_SUBNETS,
      securityGroups: ['network-qdrant-id'],
      assignPublicIp: false,
    });
    expect(svc.loadBalancers ?? []).toEqual([]);
    expect(svc.serviceRegistries).toEqual({ registryArn: 'arn:aws:mock:us-east-1:123456789012:service/qdrant-dns' });
  });

  test('reached through a private DNS name (Cloud Map) in the VPC, given to the app as a plain URL', async () => {
    const { get } = await dev();
    expect(get(TYPES.namespace, 'qdrant-dns').inputs).toMatchObject({
      name: 'ragchat-dev.internal',
      vpc: 'network-vpc-id',
    });
    expect(get(TYPES.discovery, 'qdrant-dns').inputs.dnsConfig).toMatchObject({
      namespaceId: 'qdrant-dns-id',
      dnsRecords: [{ type: 'A', ttl: 10 }],
    });
    const app = await appContainer(dev);
    expect(app.environment).toContainEqual({ name: 'QDRANT_URL', value: 'http://qdrant.ragchat-dev.internal:6333' });
    expect(app.secrets.map((s: { name: string }) => s.name)).not.toContain('QDRANT_URL');
  });
});

describe('qdrant Cloud (prod)', () => {
  test('no Qdrant service, file system or private DNS is created', async () => {
    const { ofType, resources } = await prod();
    for (const type of [TYPES.efs, TYPES.mountTarget, TYPES.accessPoint, TYPES.namespace, TYPES.discovery])
      expect(ofType(type)).toHaveLength(0);
    expect(resources.filter((r) => r.name.startsWith('qdrant'))).toHaveLength(0);
    expect(ofType(TYPES.ecsService).map((s) => s.name)).toEqual(['app-service']);
  });

  test('its URL and API key reach the app as secrets (SecureString parameters), never as plain values', async () => {
    const { get } = await prod();
    for (const name of ['QDRANT_URL', 'QDRANT_API_KEY']) {
      const param = get(TYPES.ssmParameter, `secrets-${name.toLowerCase().replaceAll('_', '-')}`).inputs;
      expect(param.name).toBe(`/ragchat/prod/${name}`);
      expect(param.type).toBe('SecureString');
      expect(isSecret(param.value)).toBe(true);
    }
    const app = await appContainer(prod);
    expect(app.secrets).toContainEqual({
      name: 'QDRANT_URL',
      valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/ragchat/prod/QDRANT_URL',
    });
    expect(app.secrets).toContainEqual({
      name: 'QDRANT_API_KEY',
      valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/ragchat/prod/QDRANT_API_KEY',
    });
    expect(app.environment.map((e: { name: string }) => e.name)).not.toContain('QDRANT_URL');
    expect(app.environment.map((e: { name: string }) => e.name)).not.toContain('QDRANT_API_KEY');
  });
});
