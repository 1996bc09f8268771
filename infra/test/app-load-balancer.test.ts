import { describe, expect, test } from 'bun:test';
import * as pulumi from '@pulumi/pulumi';
import { ALB_IDLE_TIMEOUT_SECONDS, DEREGISTRATION_DELAY_SECONDS } from '../timeouts.ts';
import { COMPONENT_STACK, runComponent, TYPES } from './harness.ts';

const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const TARGET_GROUP_ARN = 'arn:aws:mock:us-east-1:123456789012:targetgroup/web-tg';

/** The load balancer alone, as AppService would make it, with or without a certificate. */
const loadBalancer = (certificateArn?: string) =>
  runComponent(async () => {
    const aws = await import('@pulumi/aws');
    const { AppLoadBalancer } = await import('../app-load-balancer.ts');
    const policy = new aws.s3.BucketPolicy('log-delivery', { bucket: 'logs-bucket', policy: '{}' });
    const lb = new AppLoadBalancer('web', {
      vpcId: 'vpc-1',
      publicSubnetIds: ['subnet-a', 'subnet-b'],
      securityGroupId: 'sg-alb',
      deletionProtection: true,
      accessLogs: { bucket: 'logs-bucket', prefix: 'alb', policy },
      certificateArn,
      tags: { Stack: 'unit' },
    });
    return {
      dnsName: lb.dnsName,
      targetGroupArn: lb.targetGroupArn,
      requestCountLabel: lb.requestCountLabel,
      listenerUrns: pulumi.all(lb.listeners.map((l) => l.urn)),
    };
  });

describe('AppLoadBalancer on its own', () => {
  test('an internet-facing ALB in the subnets and group it is given, its idle timeout outlasting the heartbeat', async () => {
    const { get } = await loadBalancer();
    expect(get(TYPES.loadBalancer, 'web-alb').inputs).toEqual({
      loadBalancerType: 'application',
      internal: false,
      subnets: ['subnet-a', 'subnet-b'],
      securityGroups: ['sg-alb'],
      idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: true,
      accessLogs: { enabled: true, bucket: 'logs-bucket', prefix: 'alb' },
      tags: { Stack: 'unit' },
    });
  });

  test('the ALB is created only once the log bucket lets ELB write (ELB tests the bucket when logging starts)', async () => {
    const { get } = await loadBalancer();
    expect(get(TYPES.loadBalancer, 'web-alb').dependsOn).toContain(get(TYPES.bucketPolicy, 'log-delivery').urn);
  });

  test('the target group reaches tasks by IP on the app port, checks /healthz, drains before a task stops', async () => {
    const tg = (await loadBalancer()).get(TYPES.targetGroup, 'web-tg').inputs;
    expect(tg).toMatchObject({ vpcId: 'vpc-1', targetType: 'ip', port: 3000, protocol: 'HTTP' });
    expect(tg.deregistrationDelay).toBe(DEREGISTRATION_DELAY_SECONDS);
    expect(tg.healthCheck).toEqual({
      path: '/healthz',
      matcher: '200',
      interval: 15,
      timeout: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    });
  });

  test('without a certificate: one HTTP listener, forwarding; the service is told to wait for it', async () => {
    const { ofType, outputs } = await loadBalancer();
    const listeners = ofType(TYPES.listener);
    expect(listeners.map((l) => [l.name, l.inputs.port, l.inputs.defaultActions])).toEqual([
      ['web-http', 80, [{ type: 'forward', targetGroupArn: TARGET_GROUP_ARN }]],
    ]);
    expect(outputs.listenerUrns).toHaveLength(1);
  });

  test('with a certificate: HTTPS forwards with a TLS 1.2+ policy, HTTP redirects to it; both are waited for', async () => {
    const { get, ofType, outputs } = await loadBalancer(CERTIFICATE);
    expect(get(TYPES.listener, 'web-https').inputs).toMatchObject({
      port: 443,
      protocol: 'HTTPS',
      certificateArn: CERTIFICATE,
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      defaultActions: [{ type: 'forward', targetGroupArn: TARGET_GROUP_ARN }],
    });
    expect(get(TYPES.listener, 'web-http').inputs.defaultActions).toEqual([
      { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
    ]);
    expect(ofType(TYPES.listener)).toHaveLength(2);
    expect(outputs.listenerUrns).toHaveLength(2);
  });

  test('its outputs: the DNS name, the target group, and the label request-count scaling counts on', async () => {
    expect((await loadBalancer()).outputs).toMatchObject({
      dnsName: 'web-alb-123456.us-east-1.elb.amazonaws.com',
      targetGroupArn: TARGET_GROUP_ARN,
      requestCountLabel: 'app/web-alb/0123456789abcdef/targetgroup/web-tg/0123456789abcdef',
    });
  });

  test('built with no parent, no child is aliased to another parent: there was no earlier place for them', async () => {
    const { ofType } = await loadBalancer();
    const alb = ofType(TYPES.loadBalancer)[0]!;
    expect(alb.urn).toBe(
      `urn:pulumi:${COMPONENT_STACK}::ragchat::ragchat:index:AppLoadBalancer$aws:lb/loadBalancer:LoadBalancer::web-alb`,
    );
    // Only @pulumi/aws's own aliases remain (its old type names, e.g. elasticloadbalancingv2), under the same parent.
    const parentPart = (urn: string) => urn.slice(0, urn.lastIndexOf('$'));
    for (const type of [TYPES.loadBalancer, TYPES.targetGroup, TYPES.listener])
      for (const r of ofType(type)) for (const alias of r.aliases) expect(parentPart(alias)).toBe(parentPart(r.urn));
  });
});
