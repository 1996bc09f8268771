import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { movedChildOptions } from './moved-children.ts';
import { APP_PORT } from './network.ts';
import { ALB_IDLE_TIMEOUT_SECONDS, DEREGISTRATION_DELAY_SECONDS } from './timeouts.ts';

export const HEALTH_CHECK_PATH = '/healthz';

export interface AppLoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  /** ALB deletion protection (prod): `pulumi destroy` fails until it is lifted. */
  deletionProtection: boolean;
  /** The ALB's access logs: the log bucket, its prefix, and the policy that must exist first. */
  accessLogs: { bucket: pulumi.Input<string>; prefix: string; policy: pulumi.Resource };
  /** With a certificate: HTTPS on 443, and HTTP answers with a redirect to it. */
  certificateArn?: string;
  tags: Record<string, string>;
}

/**
 * The internet-facing Application Load Balancer in the public subnets, the target group of the
 * app's tasks (by IP, checked on /healthz, drained before a task stops), and its listeners: HTTP
 * forwarding, or with a certificate HTTPS forwarding and HTTP redirecting to it.
 */
export class AppLoadBalancer extends pulumi.ComponentResource {
  readonly dnsName: pulumi.Output<string>;
  readonly zoneId: pulumi.Output<string>;
  readonly targetGroupArn: pulumi.Output<string>;
  /** `app/<alb>/<id>/targetgroup/<tg>/<id>`: what ALBRequestCountPerTarget scaling counts. */
  readonly requestCountLabel: pulumi.Output<string>;
  /** The ECS service must wait for them: it may not join a target group no listener uses. */
  readonly listeners: aws.lb.Listener[];

  constructor(name: string, args: AppLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:AppLoadBalancer', name, {}, opts);
    const child = movedChildOptions(this, opts);
    const tags = args.tags;

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: 'application',
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [args.securityGroupId],
        idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection,
        // ELB writes a test object when logging is switched on and fails if it may not.
        accessLogs: { enabled: true, bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix },
        tags,
      },
      { ...child, dependsOn: [args.accessLogs.policy] },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        targetType: 'ip',
        port: APP_PORT,
        protocol: 'HTTP',
        deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
        healthCheck: {
          path: HEALTH_CHECK_PATH,
          matcher: '200',
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags,
      },
      child,
    );

    this.dnsName = alb.dnsName;
    this.zoneId = alb.zoneId;
    this.targetGroupArn = targetGroup.arn;
    this.requestCountLabel = pulumi.interpolate`${alb.arnSuffix}/${targetGroup.arnSuffix}`;
    this.listeners = listeners(name, alb, targetGroup, args, child);
    this.registerOutputs({ dnsName: this.dnsName, targetGroupArn: this.targetGroupArn });
  }
}

/** HTTPS (with a certificate) and HTTP: HTTP forwards, or redirects when HTTPS is there. */
function listeners(
  name: string,
  alb: aws.lb.LoadBalancer,
  targetGroup: aws.lb.TargetGroup,
  args: AppLoadBalancerArgs,
  opts: pulumi.CustomResourceOptions,
): aws.lb.Listener[] {
  const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
  const made: aws.lb.Listener[] = [];
  if (args.certificateArn) {
    made.push(
      new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: 'HTTPS',
          certificateArn: args.certificateArn,
          sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          defaultActions: forward,
          tags: args.tags,
        },
        opts,
      ),
    );
  }
  made.push(
    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultActions: args.certificateArn
          ? [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }]
          : forward,
        tags: args.tags,
      },
      opts,
    ),
  );
  return made;
}
