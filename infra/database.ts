import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { POSTGRES_PORT } from './network.ts';

export const DATABASE_NAME = 'ragchat';
export const DATABASE_USER = 'ragchat';

export interface DatabaseArgs {
  /** Private subnets, one per zone (RDS wants at least two zones in its subnet group). */
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  instanceClass: string;
  engineVersion: string;
  allocatedStorageGb: number;
  maxAllocatedStorageGb: number;
  multiAz: boolean;
  backupRetentionDays: number;
  /** Deletion protection and a final snapshot (prod); off, `pulumi destroy` deletes it outright (dev). */
  protectData: boolean;
  /** Physical-name prefix (`ragchat-prod`) for the final snapshot. */
  namePrefix: string;
  tags: Record<string, string>;
}

/**
 * RDS PostgreSQL in the private subnets: encrypted, never publicly accessible, its master
 * password generated and kept by AWS in Secrets Manager (it never passes through Pulumi's state).
 *
 * How the app gets its connection: ECS reads the `password` key of that secret into `PGPASSWORD`
 * (a task-definition secret, `<secret-arn>:password::`), and `DATABASE_URL` is the URL *without* a
 * password (`postgres://ragchat@host:5432/ragchat?sslmode=require`), a plain value since it holds
 * nothing secret. postgres.js, the app's driver, falls back to `PGPASSWORD` when the URL has no
 * password (as libpq does). A whole URL in a secret would need the password copied out of the
 * managed secret into another one and URL-encoded, and copied again after every change.
 */
export class Database extends pulumi.ComponentResource {
  readonly address: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  /** `postgres://ragchat@host:5432/ragchat?sslmode=require`: no password in it. */
  readonly urlWithoutPassword: pulumi.Output<string>;
  /** The AWS-managed secret holding `{"username": ..., "password": ...}`. */
  readonly masterSecretArn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:Database', name, {}, opts);
    const parent = { parent: this };

    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags: args.tags }, parent);
    const instance = new aws.rds.Instance(
      `${name}-postgres`,
      {
        engine: 'postgres',
        engineVersion: args.engineVersion,
        instanceClass: args.instanceClass,
        allocatedStorage: args.allocatedStorageGb,
        maxAllocatedStorage: args.maxAllocatedStorageGb,
        storageType: 'gp3',
        storageEncrypted: true,
        dbName: DATABASE_NAME,
        username: DATABASE_USER,
        manageMasterUserPassword: true,
        port: POSTGRES_PORT,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        publiclyAccessible: false,
        multiAz: args.multiAz,
        backupRetentionPeriod: args.backupRetentionDays,
        backupWindow: '03:00-04:00',
        maintenanceWindow: 'sun:04:30-sun:05:30',
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        deletionProtection: args.protectData,
        skipFinalSnapshot: !args.protectData,
        finalSnapshotIdentifier: args.protectData ? `${args.namePrefix}-postgres-final` : undefined,
        // Dev applies changes at once; prod waits for the maintenance window.
        applyImmediately: !args.protectData,
        tags: args.tags,
      },
      parent,
    );
    const secretArn = instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets[0]?.secretArn;
      if (!arn) throw new Error('RDS returned no master user secret (manageMasterUserPassword is on)');
      return arn;
    });
    // AWS rotates a managed master password every 7 days by default. ECS reads PGPASSWORD once, at
    // task start, so a rotation would leave running tasks unable to open new connections. Rotation
    // is therefore off; rotate by hand (`aws secretsmanager rotate-secret`), then redeploy the
    // service (`aws ecs update-service --force-new-deployment`), as the README says.
    new aws.secretsmanager.SecretRotation(
      `${name}-master-rotation`,
      { secretId: secretArn, rotationEnabled: false },
      parent,
    );

    this.address = instance.address;
    this.port = instance.port;
    // RDS PostgreSQL 15+ refuses unencrypted connections (rds.force_ssl); postgres.js reads sslmode.
    this.urlWithoutPassword = pulumi.interpolate`postgres://${DATABASE_USER}@${instance.address}:${instance.port}/${DATABASE_NAME}?sslmode=require`;
    this.masterSecretArn = secretArn;
    this.registerOutputs({ address: this.address, masterSecretArn: this.masterSecretArn });
  }
}
