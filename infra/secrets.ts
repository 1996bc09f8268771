import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface AppSecretsArgs {
  /** Parameter path prefix, e.g. `/ragchat/prod`. */
  pathPrefix: string;
  /** Environment variable name → secret value; undefined values are skipped (not configured). */
  values: Record<string, pulumi.Output<string> | undefined>;
  tags: Record<string, string>;
}

/**
 * The app's secrets as SSM Parameter Store SecureStrings (free at the standard tier, encrypted
 * with the account's `aws/ssm` key), one per environment variable, e.g. `/ragchat/prod/OPENAI_API_KEY`.
 * The task definition passes each one as a container secret (`valueFrom` = the parameter's ARN),
 * so the value is read by ECS at task start and never written into the task definition.
 */
export class AppSecrets extends pulumi.ComponentResource {
  /** Environment variable name → parameter ARN, for the configured secrets only. */
  readonly parameterArns: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:AppSecrets', name, {}, opts);
    for (const [envName, value] of Object.entries(args.values)) {
      if (value === undefined) continue;
      const parameter = new aws.ssm.Parameter(
        `${name}-${envName.toLowerCase().replaceAll('_', '-')}`,
        {
          name: `${args.pathPrefix}/${envName}`,
          type: 'SecureString',
          value: pulumi.secret(value),
          description: `ragchat ${envName}`,
          tags: args.tags,
        },
        { parent: this },
      );
      this.parameterArns[envName] = parameter.arn;
    }
    this.registerOutputs({ parameterArns: this.parameterArns });
  }
}
