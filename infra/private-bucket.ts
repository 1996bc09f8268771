import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * What every bucket of this program has, made one way: every public-access block on, ACLs off
 * (bucket-owner-enforced ownership), SSE-S3 encryption at rest. SSE-S3 because it needs no KMS key
 * to pay for or grant, and because it is the only server-side encryption ELB access logs accept.
 * The caller adds its own versioning, lifecycle and policy (starting from `denyInsecureTransport`,
 * and depending on `publicAccess` so no window exists in which a policy could make it public).
 */
export function privateBucket(
  name: string,
  args: { forceDestroy: boolean; tags: Record<string, string> },
  opts: pulumi.CustomResourceOptions,
): { bucket: aws.s3.Bucket; publicAccess: aws.s3.BucketPublicAccessBlock } {
  const bucket = new aws.s3.Bucket(name, { forceDestroy: args.forceDestroy, tags: { ...args.tags, Name: name } }, opts);
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  new aws.s3.BucketOwnershipControls(
    name,
    { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
    opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    },
    opts,
  );
  return { bucket, publicAccess };
}

/** The bucket policy statement that refuses any request not made over TLS. */
export function denyInsecureTransport(bucketArn: pulumi.Input<string>) {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}
