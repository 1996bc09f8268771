import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { denyInsecureTransport, privateBucket } from './private-bucket.ts';

/** Where the load balancer writes (ELB appends `AWSLogs/<account>/elasticloadbalancing/...`). */
export const ALB_LOG_PREFIX = 'alb';
/** Where S3 writes the server access logs of a bucket named `name` in this program. */
export const s3LogPrefix = (name: string) => `s3/${name}/`;

/**
 * Regions that opened before August 2022: ELB writes access logs there as a regional ELB account,
 * which the bucket policy names (`aws.elb.getServiceAccount` knows its id). Regions opened since
 * then deliver through the `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
export const ELB_ACCOUNT_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-north-1',
  'me-south-1',
  'sa-east-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'cn-north-1',
  'cn-northwest-1',
]);

export interface LogSource {
  /** Short name; its logs go under `s3/<name>/`. */
  name: string;
  bucketId: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
}

export interface LogBucketArgs {
  region: string;
  /** Days before a log object expires (the stack's `logRetentionDays`). */
  retentionDays: number;
  /** `pulumi destroy` may delete the bucket with its logs (dev); prod refuses. */
  forceDestroy: boolean;
  /** Buckets whose S3 server access logs are delivered here. */
  serverAccessLogSources: LogSource[];
  tags: Record<string, string>;
}

/**
 * The log bucket: the load balancer's access logs (`alb/`) and the documents bucket's S3 server
 * access logs (`s3/docs/`), kept `retentionDays` and then expired. Private (every public-access
 * block on, ACLs off: both deliveries are granted by the bucket policy, which is what S3 and ELB
 * document for a bucket-owner-enforced bucket), SSE-S3 (the only encryption ELB log delivery
 * supports), and refusing any request not made over TLS. It logs nothing about itself: access logs
 * of the log bucket would be written into the log bucket, each delivery logging the one before.
 */
export class LogBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** The policy that lets ELB write: a load balancer with access logs on must be created after it. */
  readonly deliveryPolicy: aws.s3.BucketPolicy;

  constructor(name: string, args: LogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:LogBucket', name, {}, opts);
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;

    // ACLs off (privateBucket). ELB still sends `bucket-owner-full-control`, which a
    // bucket-owner-enforced bucket accepts; S3 server access logging to such a bucket needs the
    // policy grant below instead of target grants.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
    // ELB access logs: "the only server-side encryption option that's supported is SSE-S3".
    const { bucket, publicAccess } = privateBucket(
      `${name}-logs`,
      { forceDestroy: args.forceDestroy, tags: args.tags },
      parent,
    );
    // Not versioned: a log is written once and never overwritten; expiry then really deletes it.
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-logs`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: 'expire-logs',
            status: 'Enabled',
            filter: {},
            expiration: { days: args.retentionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      parent,
    );

    this.deliveryPolicy = new aws.s3.BucketPolicy(
      `${name}-logs`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: deliveryStatements(bucket.arn, account, args, parent),
        }),
      },
      // After the public-access block, so no window exists in which a policy could make it public.
      { parent: this, dependsOn: [publicAccess] },
    );

    for (const source of args.serverAccessLogSources) {
      new aws.s3.BucketLogging(
        `${name}-${source.name}`,
        { bucket: source.bucketId, targetBucket: bucket.id, targetPrefix: s3LogPrefix(source.name) },
        { parent: this, dependsOn: [this.deliveryPolicy] },
      );
    }

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}

/**
 * The log bucket's policy: TLS only, and exactly two writers, each under its own prefix: ELB (as
 * the region's ELB account where there is one, else as its log-delivery service) and S3 server
 * access logging, for the given buckets of this account.
 */
function deliveryStatements(
  bucketArn: pulumi.Output<string>,
  account: pulumi.Output<string>,
  args: LogBucketArgs,
  parent: pulumi.InvokeOutputOptions,
): unknown[] {
  const albLogs = pulumi.interpolate`${bucketArn}/${ALB_LOG_PREFIX}/AWSLogs/${account}/*`;
  const elbPrincipal = ELB_ACCOUNT_REGIONS.has(args.region)
    ? { AWS: aws.elb.getServiceAccountOutput({ region: args.region }, parent).arn }
    : { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' };
  const statements: unknown[] = [
    denyInsecureTransport(bucketArn),
    // Only under this account's own AWSLogs prefix, as the ELB guide's policy does.
    { Sid: 'AlbAccessLogs', Effect: 'Allow', Principal: elbPrincipal, Action: 's3:PutObject', Resource: albLogs },
  ];
  if (args.serverAccessLogSources.length > 0) {
    // The logging service, for these buckets of this account only (the confused-deputy conditions
    // the S3 guide recommends), into their prefixes only.
    statements.push({
      Sid: 'S3ServerAccessLogs',
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: args.serverAccessLogSources.map((s) => pulumi.interpolate`${bucketArn}/${s3LogPrefix(s.name)}*`),
      Condition: {
        ArnLike: { 'aws:SourceArn': args.serverAccessLogSources.map((s) => s.bucketArn) },
        StringEquals: { 'aws:SourceAccount': account },
      },
    });
  }
  return statements;
}
