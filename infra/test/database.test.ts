import { describe, expect, test } from 'bun:test';
import { containers, DB_SECRET_ARN, PROD_SETTINGS, runStack, TEST_SECRETS, TYPES } from './harness.ts';

const dev = () => runStack('dev');
const prod = () => runStack('prod', PROD_SETTINGS, TEST_SECRETS);

describe('database: RDS PostgreSQL', () => {
  for (const [stack, run] of [
    ['dev', dev],
    ['prod', prod],
  ] as const) {
    test(`${stack}: private, encrypted, its password managed by AWS, backed up`, async () => {
      const { ofType, get } = await run();
      expect(ofType(TYPES.rds)).toHaveLength(1);
      const db = get(TYPES.rds, 'database-postgres').inputs;
      expect(db.engine).toBe('postgres');
      expect(db.publiclyAccessible).toBe(false);
      expect(db.storageEncrypted).toBe(true);
      expect(db.manageMasterUserPassword).toBe(true);
      expect(db.password).toBeUndefined();
      expect(db.passwordWo).toBeUndefined();
      expect(db.backupRetentionPeriod).toBeGreaterThanOrEqual(1);
      expect(db.vpcSecurityGroupIds).toEqual(['network-db-id']);
      expect(db.dbSubnetGroupName).toBe('database-subnets-0a1b2c3');
      expect(get(TYPES.rdsSubnets, 'database-subnets').inputs.subnetIds).toEqual([
        'network-private-0-id',
        'network-private-1-id',
      ]);
    });

    test(`${stack}: the app gets the URL without a password and the password from the managed secret`, async () => {
      const { get } = await run();
      const [app] = containers(get(TYPES.taskDefinition, 'app-task'));
      const url = app!.environment.find((e: { name: string }) => e.name === 'DATABASE_URL').value;
      expect(url).toBe(
        'postgres://ragchat@database-postgres.c0ffee.us-east-1.rds.amazonaws.com:5432/ragchat?sslmode=require',
      );
      expect(new URL(url).password).toBe('');
      expect(app!.secrets).toContainEqual({ name: 'PGPASSWORD', valueFrom: `${DB_SECRET_ARN}:password::` });
    });

    test(`${stack}: automatic rotation of the master password is off (tasks read it once, at start)`, async () => {
      const { get } = await run();
      expect(get(TYPES.rotation, 'database-master-rotation').inputs).toMatchObject({
        secretId: DB_SECRET_ARN,
        rotationEnabled: false,
      });
    });
  }

  test('dev: small, single-zone, one day of backups, deleted outright by pulumi destroy', async () => {
    const db = (await dev()).get(TYPES.rds, 'database-postgres').inputs;
    expect(db).toMatchObject({
      instanceClass: 'db.t4g.micro',
      multiAz: false,
      backupRetentionPeriod: 1,
      deletionProtection: false,
      skipFinalSnapshot: true,
    });
    expect(db.finalSnapshotIdentifier).toBeUndefined();
  });

  test('prod: Multi-AZ, two weeks of backups, deletion protection and a final snapshot', async () => {
    const db = (await prod()).get(TYPES.rds, 'database-postgres').inputs;
    expect(db).toMatchObject({
      instanceClass: 'db.t4g.small',
      multiAz: true,
      backupRetentionPeriod: 14,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: 'ragchat-prod-postgres-final',
    });
  });
});
