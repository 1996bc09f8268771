import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * A real S3-protocol server on loopback (s3rver), spoken to through the real AWS SDK. Tests that
 * set S3_TEST_ENDPOINT (a MinIO, say) run against that instead.
 */
export const S3_CREDENTIALS = {
  accessKeyId: process.env.S3_TEST_ACCESS_KEY ?? 'S3RVER',
  secretAccessKey: process.env.S3_TEST_SECRET_KEY ?? 'S3RVER',
};

export class S3StandIn {
  endpoint = process.env.S3_TEST_ENDPOINT ?? '';
  private server: S3rver | null = null;
  private directory = '';

  async start(): Promise<this> {
    if (this.endpoint) return this;
    this.directory = mkdtempSync(join(tmpdir(), 'ragchat-s3-'));
    this.server = new S3rver({ port: 0, address: '127.0.0.1', directory: this.directory, silent: true });
    const { port } = await this.server.run();
    this.endpoint = `http://127.0.0.1:${port}`;
    return this;
  }

  async createBucket(): Promise<string> {
    const bucket = `ragchat-${crypto.randomUUID().slice(0, 8)}`;
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: this.endpoint,
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    return bucket;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    if (this.directory) rmSync(this.directory, { recursive: true, force: true });
  }
}
