import { describe, expect, test } from 'bun:test';
import { type StackConfig, StackConfigError } from '../config.ts';
import { readStackConfig, TEST_SECRETS } from './harness.ts';

const ok = async (...args: Parameters<typeof readStackConfig>): Promise<StackConfig> => {
  const result = await readStackConfig(...args);
  if (result instanceof Error) throw result;
  return result;
};
const problems = async (...args: Parameters<typeof readStackConfig>): Promise<string[]> => {
  const result = await readStackConfig(...args);
  if (!(result instanceof StackConfigError)) throw new Error(`expected a StackConfigError, got ${String(result)}`);
  return result.problems;
};

describe('stack configuration', () => {
  test('Pulumi.dev.yaml alone is a complete dev stack: cheap, disposable, no secret needed', async () => {
    const dev = await ok('dev');
    expect(dev.region).toBe('us-east-1');
    expect(dev.network.natGateways).toBe('single');
    expect(dev.qdrant.mode).toBe('fargate');
    expect(dev.protectData).toBe(false);
    expect(dev.database.multiAz).toBe(false);
    expect(dev.app.seedSampleDocs).toBe(true);
    expect(dev.secrets).toEqual({ openaiApiKey: undefined, embeddingsApiKey: undefined, adminPassword: undefined });
    expect(dev.domain).toEqual({ certificateArn: undefined, domainName: undefined, hostedZoneId: undefined });
  });

  test('prod differs where it matters: NAT per zone, Qdrant Cloud, Multi-AZ, data protected', async () => {
    const prod = await ok('prod', {}, TEST_SECRETS);
    expect(prod.network.natGateways).toBe('per-az');
    expect(prod.qdrant.mode).toBe('cloud');
    expect(prod.protectData).toBe(true);
    expect(prod.database).toMatchObject({ multiAz: true, backupRetentionDays: 14 });
    expect(prod.app).toMatchObject({ minCount: 2, maxCount: 6, logRetentionDays: 90, seedSampleDocs: false });
  });

  test('prod without its Qdrant Cloud secrets names both missing keys', async () => {
    expect(await problems('prod')).toEqual([
      'ragchat:qdrantUrl: required when qdrant is cloud (pulumi config set --secret qdrantUrl ...)',
      'ragchat:qdrantApiKey: required when qdrant is cloud (pulumi config set --secret ...)',
    ]);
  });

  test('every bad key is reported at once, by name', async () => {
    const found = await problems('dev', {
      'ragchat:natGateways': 'three',
      'ragchat:appCpu': 'lots',
      'ragchat:appMinCount': '3',
      'ragchat:appMaxCount': '2',
      'ragchat:domainName': 'chat.example.com',
      'ragchat:vpcCidr': '10.0.0.0/8',
      'ragchat:protectData': 'yes',
      'ragchat:bedrockModelIds': '"one"',
    });
    expect(found.map((p) => p.split(':').slice(0, 2).join(':')).sort()).toEqual(
      [
        'ragchat:natGateways',
        'ragchat:appCpu',
        'ragchat:appMaxCount',
        'ragchat:appDesiredCount',
        'ragchat:domainName',
        'ragchat:vpcCidr',
        'ragchat:protectData',
        'ragchat:bedrockModelIds',
      ].sort(),
    );
  });

  test('a missing region is named', async () => {
    expect(await problems('dev', { 'aws:region': '' })).toContain(
      'aws:region: required (pulumi config set aws:region us-east-1)',
    );
  });
});
