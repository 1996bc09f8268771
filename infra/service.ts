import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { AppLoadBalancer, type AppLoadBalancerArgs } from './app-load-balancer.ts';
import { AppScaling, type AppScalingArgs } from './app-scaling.ts';
import { APP_CONTAINER_NAME, AppTask, type AppTaskArgs } from './app-task.ts';
import { APP_PORT } from './network.ts';

export interface AppServiceArgs
  extends Omit<AppTaskArgs, 'albDnsName'>,
    Pick<AppLoadBalancerArgs, 'deletionProtection' | 'accessLogs' | 'certificateArn'>,
    Pick<AppScalingArgs, 'clusterName' | 'minCount' | 'maxCount' | 'cpuTargetPercent' | 'requestsPerTarget'> {
  clusterArn: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  privateSubnetIds: pulumi.Input<string>[];
  albSecurityGroupId: pulumi.Input<string>;
  appSecurityGroupId: pulumi.Input<string>;
  /** Tasks at the first deployment; auto-scaling owns the count from then on. */
  desiredCount: number;
}

/**
 * The app: an ECS Fargate service in the private subnets behind an internet-facing Application
 * Load Balancer (AppLoadBalancer), running the app's task (AppTask: task definition, roles, log
 * group) and auto-scaled (AppScaling). Tuned for streamed answers: the idle timeout outlasts the
 * heartbeat, and a stopping task drains (timeouts.ts).
 */
export class AppService extends pulumi.ComponentResource {
  readonly albDnsName: pulumi.Output<string>;
  readonly albZoneId: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly taskDefinitionFamily: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly taskRoleArn: pulumi.Output<string>;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:AppService', name, {}, opts);
    const parent = { parent: this };
    const tags = args.tags;

    // The parts keep the service's name, so their children's names (`app-alb`, `app-task`) stay.
    const loadBalancer = new AppLoadBalancer(
      name,
      {
        vpcId: args.vpcId,
        publicSubnetIds: args.publicSubnetIds,
        securityGroupId: args.albSecurityGroupId,
        deletionProtection: args.deletionProtection,
        accessLogs: args.accessLogs,
        certificateArn: args.certificateArn,
        tags,
      },
      parent,
    );
    const task = new AppTask(name, { ...taskArgs(args), albDnsName: loadBalancer.dnsName }, parent);
    const service = ecsService(name, args, task, loadBalancer, this);
    new AppScaling(
      name,
      {
        clusterName: args.clusterName,
        serviceName: service.name,
        minCount: args.minCount,
        maxCount: args.maxCount,
        cpuTargetPercent: args.cpuTargetPercent,
        requestsPerTarget: args.requestsPerTarget,
        requestCountLabel: loadBalancer.requestCountLabel,
        tags,
      },
      parent,
    );

    this.albDnsName = loadBalancer.dnsName;
    this.albZoneId = loadBalancer.zoneId;
    this.logGroupName = task.logGroupName;
    this.taskDefinitionFamily = task.family;
    this.serviceName = service.name;
    this.taskRoleArn = task.taskRoleArn;
    this.registerOutputs({
      albDnsName: this.albDnsName,
      logGroupName: this.logGroupName,
      taskDefinitionFamily: this.taskDefinitionFamily,
      serviceName: this.serviceName,
    });
  }
}

/** The task's share of the service's arguments: all but the cluster's, network's, load balancer's and scaling's. */
function taskArgs(args: AppServiceArgs): Omit<AppTaskArgs, 'albDnsName'> {
  const {
    clusterArn,
    clusterName,
    vpcId,
    publicSubnetIds,
    privateSubnetIds,
    albSecurityGroupId,
    appSecurityGroupId,
    desiredCount,
    minCount,
    maxCount,
    cpuTargetPercent,
    requestsPerTarget,
    deletionProtection,
    accessLogs,
    certificateArn,
    ...task
  } = args;
  return task;
}

/**
 * The ECS service, a direct child of AppService as it always was (no alias needed): its tasks in
 * the private subnets, registered in the load balancer's target group, replaced one by one on a
 * deployment and rolled back when the new ones do not become healthy.
 */
function ecsService(
  name: string,
  args: AppServiceArgs,
  task: AppTask,
  loadBalancer: AppLoadBalancer,
  parent: AppService,
): aws.ecs.Service {
  return new aws.ecs.Service(
    `${name}-service`,
    {
      cluster: args.clusterArn,
      taskDefinition: task.taskDefinitionArn,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      desiredCount: args.desiredCount,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      // The first start runs migrations (and, in dev, ingests the sample documents).
      healthCheckGracePeriodSeconds: 120,
      networkConfiguration: {
        subnets: args.privateSubnetIds,
        securityGroups: [args.appSecurityGroupId],
        assignPublicIp: false,
      },
      loadBalancers: [
        { targetGroupArn: loadBalancer.targetGroupArn, containerName: APP_CONTAINER_NAME, containerPort: APP_PORT },
      ],
      propagateTags: 'SERVICE',
      tags: args.tags,
    },
    // Auto-scaling owns the running count once the service exists.
    { parent, dependsOn: loadBalancer.listeners, ignoreChanges: ['desiredCount'] },
  );
}
