import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { unavailable } from '../errors.ts';
import { checkDocumentKey, isDocumentKey } from './document-keys.ts';
import type { DocumentStore } from './document-store.ts';

export interface S3DocumentStoreOptions {
  bucket: string;
  /** Prepended to every key, e.g. `docs/`; ends with `/` or is empty. */
  prefix: string;
  region: string;
  /** For MinIO and other S3-compatible servers. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** Per request, retries included. */
  timeoutMs: number;
  /** Tests pass keys; otherwise the SDK's default chain (environment, ECS task role, ...). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Originals in an S3 bucket through the AWS SDK v3. The SDK retries throttling and 5xx with
 * backoff (its standard mode, 3 attempts); an overall timeout bounds each call.
 */
export class S3DocumentStore implements DocumentStore {
  private readonly client: S3Client;

  constructor(private readonly options: S3DocumentStoreOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      maxAttempts: 3,
    });
  }

  private keyOf(key: string): string {
    return this.options.prefix + checkDocumentKey(key);
  }

  private async send<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await run(AbortSignal.timeout(this.options.timeoutMs));
    } catch (error) {
      throw translate(error, what);
    }
  }

  async put(key: string, bytes: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    const Key = this.keyOf(key);
    await this.send('store the document', (abortSignal) =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key, Body: bytes, ContentType: contentType }),
        {
          abortSignal,
        },
      ),
    );
  }

  async get(key: string): Promise<Uint8Array | null> {
    const Key = this.keyOf(key);
    try {
      return await this.send('read the document', async (abortSignal) => {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal });
        return (await res.Body?.transformToByteArray()) ?? new Uint8Array();
      });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async list(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send('list documents', (abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: this.options.prefix + prefix,
            ContinuationToken,
          }),
          { abortSignal },
        ),
      );
      for (const item of page.Contents ?? []) {
        const key = item.Key?.slice(this.options.prefix.length) ?? '';
        // Skip what is not a document key: folder markers ("a/"), odd names other tools wrote.
        if (isDocumentKey(key)) keys.push(key);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    const Key = this.keyOf(key);
    await this.send('delete the document', (abortSignal) =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal }),
    );
  }

  async ping(): Promise<void> {
    await this.send('reach the bucket', (abortSignal) =>
      this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }), { abortSignal }),
    );
  }
}

function isNotFound(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  return cause instanceof S3ServiceException && (cause.name === 'NoSuchKey' || cause.$metadata.httpStatusCode === 404);
}

/**
 * S3ServiceException subclasses carry the service's error name (NoSuchKey, NoSuchBucket,
 * AccessDenied, SlowDown) and the HTTP status; network failures are plain errors (ECONNREFUSED)
 * and timeouts are AbortErrors from our own signal.
 */
function translate(error: unknown, what: string): unknown {
  if (error instanceof S3ServiceException) {
    if (error.name === 'NoSuchKey') return Object.assign(new Error('not found'), { cause: error });
    const why =
      error.name === 'NoSuchBucket'
        ? 'the bucket does not exist'
        : error.name === 'AccessDenied' || error.$metadata.httpStatusCode === 403
          ? 'access was denied'
          : `it answered ${error.name} (HTTP ${error.$metadata.httpStatusCode ?? '?'})`;
    return unavailable('document-store', `The document store could not ${what}: ${why}.`, error);
  }
  const name = (error as Error)?.name;
  const reason =
    name === 'TimeoutError' || name === 'AbortError' ? 'it did not answer in time' : 'it could not be reached';
  return unavailable('document-store', `The document store could not ${what}: ${reason}.`, error);
}
