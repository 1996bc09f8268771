import { afterAll, expect, test } from 'bun:test';
import { S3DocumentStore } from '../../../src/stores/s3-document-store.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { S3_CREDENTIALS, S3StandIn } from '../../support/s3.ts';
import { runDocumentStoreContract } from '../document-store.contract.ts';

const s3 = new S3StandIn();
beforeSuite(async () => {
  await s3.start();
});
afterAll(() => s3.stop());

const storeIn = (bucket: string, prefix = '') =>
  new S3DocumentStore({
    bucket,
    prefix,
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    timeoutMs: 5000,
    credentials: S3_CREDENTIALS,
  });

runDocumentStoreContract('S3DocumentStore', { make: async () => storeIn(await s3.createBucket()) });
runDocumentStoreContract('S3DocumentStore with a key prefix', {
  make: async () => storeIn(await s3.createBucket(), 'ragchat/docs/'),
});

test('S3DocumentStore: the prefix keeps its objects apart from the rest of the bucket', async () => {
  const bucket = await s3.createBucket();
  const plain = storeIn(bucket);
  const prefixed = storeIn(bucket, 'team/');
  await plain.put('other.md', new TextEncoder().encode('not ours'));
  await prefixed.put('ours.md', new TextEncoder().encode('ours'));
  expect(await prefixed.list()).toEqual(['ours.md']);
  expect(await plain.list()).toEqual(['other.md', 'team/ours.md']);
});

test('S3DocumentStore: a missing bucket or a server that is down is a named, readable failure', async () => {
  await expect(storeIn('no-such-bucket-here').ping()).rejects.toThrow(/document store could not reach the bucket/);
  const down = new S3DocumentStore({
    bucket: 'x-bucket',
    prefix: '',
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    timeoutMs: 3000,
    credentials: S3_CREDENTIALS,
  });
  await expect(down.put('a.md', new Uint8Array([1]))).rejects.toThrow(
    /The document store could not store the document: it could not be reached\./,
  );
});
