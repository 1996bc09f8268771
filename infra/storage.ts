import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { denyInsecureTransport, privateBucket } from './private-bucket.ts';

export interface StorageArgs {
  /** `pulumi destroy` may delete the bucket with its documents in it (dev); prod refuses. */
  forceDestroy: boolean;
  /** Days an overwritten or deleted original is kept as a noncurrent version. @default 30 */
  noncurrentVersionDays?: number;
  tags: Record<string, string>;
}

/**
 * The documents bucket: originals the app stores and ingests. Private (every public-access block
 * on, ACLs off), encrypted at rest, versioned, and refusing any request not made over TLS. No
 * bucket policy grants access: only the task role's IAM policy does (app-task.ts). Its S3 server
 * access logs go to the log bucket (logs.ts).
 */
export class Storage extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketId: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:Storage', name, {}, opts);
    const parent = { parent: this };

    const { bucket, publicAccess } = privateBucket(
      `${name}-docs`,
      { forceDestroy: args.forceDestroy, tags: args.tags },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-docs`,
      { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } },
      parent,
    );
    // Versions guard against a mistaken delete or overwrite; they expire so the bill does not grow forever.
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-docs`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: 'expire-noncurrent-versions',
            status: 'Enabled',
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-docs`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [denyInsecureTransport(bucket.arn)],
        }),
      },
      // After the public-access block, so no window exists in which a policy could make it public.
      { parent: this, dependsOn: [publicAccess] },
    );

    this.bucketName = bucket.bucket;
    this.bucketId = bucket.id;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
