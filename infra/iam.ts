import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** One IAM policy statement; `Resource` may hold outputs (ARNs of resources made in this program). */
export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[] | pulumi.Input<string[]>;
  Condition?: Record<string, Record<string, pulumi.Input<string>>>;
}

/**
 * A role that ECS tasks assume (as task role or execution role), with exactly the given
 * statements as its one inline policy and no managed policy attached, so that what it may do is
 * all in one place, and in the tests.
 */
export function taskRole(
  name: string,
  description: string,
  statements: Statement[],
  opts: pulumi.CustomResourceOptions & { tags: Record<string, string> },
): aws.iam.Role {
  const { tags, ...resourceOpts } = opts;
  const role = new aws.iam.Role(
    name,
    {
      description,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags,
    },
    resourceOpts,
  );
  if (statements.length > 0) {
    new aws.iam.RolePolicy(
      name,
      { role: role.id, policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements }) },
      resourceOpts,
    );
  }
  return role;
}

/** Statements letting ECS write a container's logs into one log group. */
export function logStatement(logGroupArn: pulumi.Input<string>): Statement {
  return {
    Sid: 'WriteLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: pulumi.interpolate`${logGroupArn}:*`,
  };
}
