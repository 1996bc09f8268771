import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { movedChildOptions } from './moved-children.ts';

export interface AppScalingArgs {
  clusterName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  minCount: number;
  maxCount: number;
  /** Target average CPU (percent). */
  cpuTargetPercent: number;
  /** When set, also track ALB requests per target per minute, counted on `requestCountLabel`. */
  requestsPerTarget?: number;
  /** The load balancer's and target group's ARN suffixes (AppLoadBalancer.requestCountLabel). */
  requestCountLabel: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * Auto-scaling of the ECS service's task count between `minCount` and `maxCount`: target tracking
 * on CPU, and on requests per target when `requestsPerTarget` is set. Quick to scale out, slow to
 * scale in, since a removed task drains its streams first.
 */
export class AppScaling extends pulumi.ComponentResource {
  constructor(name: string, args: AppScalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:AppScaling', name, {}, opts);
    const child = movedChildOptions(this, opts);

    const scaling = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.interpolate`service/${args.clusterName}/${args.serviceName}`,
        minCapacity: args.minCount,
        maxCapacity: args.maxCount,
        tags: args.tags,
      },
      child,
    );
    const trackTarget = (
      policy: string,
      predefinedMetricSpecification: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
      targetValue: number,
    ) =>
      new aws.appautoscaling.Policy(
        `${name}-${policy}`,
        {
          resourceId: scaling.resourceId,
          scalableDimension: scaling.scalableDimension,
          serviceNamespace: scaling.serviceNamespace,
          policyType: 'TargetTrackingScaling',
          targetTrackingScalingPolicyConfiguration: {
            predefinedMetricSpecification,
            targetValue,
            scaleOutCooldown: 60,
            // Slow to scale in: a removed task drains its streams first.
            scaleInCooldown: 300,
          },
        },
        child,
      );
    trackTarget('cpu', { predefinedMetricType: 'ECSServiceAverageCPUUtilization' }, args.cpuTargetPercent);
    if (args.requestsPerTarget !== undefined)
      trackTarget(
        'requests',
        { predefinedMetricType: 'ALBRequestCountPerTarget', resourceLabel: args.requestCountLabel },
        args.requestsPerTarget,
      );
    this.registerOutputs({});
  }
}
