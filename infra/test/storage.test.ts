import { describe, expect, test } from 'bun:test';
import { PROD_SETTINGS, policy, runStack, TEST_SECRETS, TYPES } from './harness.ts';

const dev = () => runStack('dev');
const prod = () => runStack('prod', PROD_SETTINGS, TEST_SECRETS);
const BUCKET_ID = 'storage-docs-id';
const BUCKET_ARN = 'arn:aws:s3:::storage-docs-0a1b2c3';

describe('storage: the documents bucket', () => {
  for (const [stack, run] of [
    ['dev', dev],
    ['prod', prod],
  ] as const) {
    test(`${stack}: every public-access block is on, and ACLs are off`, async () => {
      const { ofType, get } = await run();
      // The documents and the logs (logging.test.ts).
      expect(ofType(TYPES.bucket).map((b) => b.name)).toEqual(['storage-docs', 'logging-logs']);
      expect(get(TYPES.publicAccessBlock, 'storage-docs').inputs).toEqual({
        bucket: BUCKET_ID,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(get(TYPES.ownership, 'storage-docs').inputs.rule).toEqual({ objectOwnership: 'BucketOwnerEnforced' });
      expect(get(TYPES.bucket, 'storage-docs').inputs.acl).toBeUndefined();
    });

    test(`${stack}: encrypted at rest and versioned`, async () => {
      const { get } = await run();
      const sse = get(TYPES.encryption, 'storage-docs').inputs;
      expect(sse.bucket).toBe(BUCKET_ID);
      expect(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe('AES256');
      expect(get(TYPES.versioning, 'storage-docs').inputs).toMatchObject({
        bucket: BUCKET_ID,
        versioningConfiguration: { status: 'Enabled' },
      });
    });

    test(`${stack}: the bucket policy only refuses requests without TLS; it grants nothing`, async () => {
      const { get } = await run();
      const { Statement } = policy(get(TYPES.bucketPolicy, 'storage-docs'));
      expect(Statement).toEqual([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]);
    });

    test(`${stack}: the only IAM policy naming the bucket is the app task role's`, async () => {
      const { ofType } = await run();
      const naming = ofType(TYPES.rolePolicy).filter((p) => p.inputs.policy.includes(BUCKET_ARN));
      expect(naming.map((p) => p.name)).toEqual(['app-task']);
      expect(naming[0]!.inputs.role).toBe('app-task-id');
    });
  }

  test('dev: pulumi destroy may empty the bucket; prod: it refuses', async () => {
    expect((await dev()).get(TYPES.bucket, 'storage-docs').inputs.forceDestroy).toBe(true);
    expect((await prod()).get(TYPES.bucket, 'storage-docs').inputs.forceDestroy).toBe(false);
  });
});
