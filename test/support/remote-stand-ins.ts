import { afterAll, expect } from 'bun:test';
import { beforeSuite } from './before-suite.ts';
import { dropSchemas } from './postgres.ts';
import { QdrantStandIn } from './qdrant-stand-in.ts';
import { S3_CREDENTIALS, S3StandIn } from './s3.ts';

/**
 * The production backends' stand-ins for a suite: Qdrant (held to Qdrant's contract) and s3rver,
 * started before its tests and stopped after them, with the schemas it made in the real Postgres
 * dropped. A request the Qdrant contract does not allow fails the suite.
 */
export function remoteStandIns(): { qdrant: QdrantStandIn; s3: S3StandIn } {
  const qdrant = new QdrantStandIn();
  const s3 = new S3StandIn();
  beforeSuite(async () => {
    await qdrant.start();
    await s3.start();
    // The S3 store uses the SDK's default credential chain, as it does on ECS with a task role.
    process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
  });
  afterAll(async () => {
    await qdrant.stop();
    await s3.stop();
    await dropSchemas();
    expect(qdrant.violations).toEqual([]);
  });
  return { qdrant, s3 };
}
