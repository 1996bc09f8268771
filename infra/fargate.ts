import type * as pulumi from '@pulumi/pulumi';

export interface FargateTaskBasics {
  /** The task definition's family: each deployment registers a new revision of it. */
  family: string;
  /** CPU units (256 = 0.25 vCPU) and MiB, one of the pairs Fargate offers. */
  cpu: number;
  memory: number;
  executionRoleArn: pulumi.Input<string>;
  taskRoleArn: pulumi.Input<string>;
}

/**
 * What every task definition of this program shares: Fargate, a network interface of its own
 * (`awsvpc`: security groups per task, and target groups that reach tasks by IP), x86_64 Linux
 * (the app's image is built for linux/amd64, image.ts; Qdrant's official image has that
 * platform), and its two roles (execution: ECS starting it; task: its own code's calls).
 */
export function fargateTask(basics: FargateTaskBasics) {
  return {
    family: basics.family,
    cpu: String(basics.cpu),
    memory: String(basics.memory),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    executionRoleArn: basics.executionRoleArn,
    taskRoleArn: basics.taskRoleArn,
  };
}
