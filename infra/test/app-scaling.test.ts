import { describe, expect, test } from 'bun:test';
import { runComponent, runStack, TYPES } from './harness.ts';

const LABEL = 'app/web-alb/0123/targetgroup/web-tg/4567';

const scaling = (requestsPerTarget?: number) =>
  runComponent(async () => {
    const { AppScaling } = await import('../app-scaling.ts');
    new AppScaling('web', {
      clusterName: 'web-cluster',
      serviceName: 'web-service',
      minCount: 2,
      maxCount: 5,
      cpuTargetPercent: 65,
      requestsPerTarget,
      requestCountLabel: LABEL,
      tags: { Stack: 'unit' },
    });
    return {};
  });

describe('AppScaling on its own', () => {
  test("the service's task count, between the bounds it is given", async () => {
    expect((await scaling()).get(TYPES.scalingTarget, 'web-scaling').inputs).toEqual({
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: 'service/web-cluster/web-service',
      minCapacity: 2,
      maxCapacity: 5,
      tags: { Stack: 'unit' },
    });
  });

  test('without a request target: one policy, tracking CPU, quick out and slow in (a removed task drains)', async () => {
    const { ofType } = await scaling();
    expect(ofType(TYPES.scalingPolicy).map((p) => p.inputs)).toEqual([
      {
        resourceId: 'service/web-cluster/web-service',
        scalableDimension: 'ecs:service:DesiredCount',
        serviceNamespace: 'ecs',
        policyType: 'TargetTrackingScaling',
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          targetValue: 65,
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
        },
      },
    ]);
  });

  test('with a request target: a second policy on the requests each target gets', async () => {
    const { get, ofType } = await scaling(800);
    expect(ofType(TYPES.scalingPolicy).map((p) => p.name)).toEqual(['web-cpu', 'web-requests']);
    expect(get(TYPES.scalingPolicy, 'web-requests').inputs.targetTrackingScalingPolicyConfiguration).toEqual({
      predefinedMetricSpecification: { predefinedMetricType: 'ALBRequestCountPerTarget', resourceLabel: LABEL },
      targetValue: 800,
      scaleOutCooldown: 60,
      scaleInCooldown: 300,
    });
  });
});

describe('scaling on requests in a stack (appRequestsPerTarget)', () => {
  test("counts the stack's own load balancer and target group", async () => {
    const { get } = await runStack('dev', { 'ragchat:appRequestsPerTarget': '1000' });
    const config = get(TYPES.scalingPolicy, 'app-requests').inputs.targetTrackingScalingPolicyConfiguration;
    expect(config.predefinedMetricSpecification).toEqual({
      predefinedMetricType: 'ALBRequestCountPerTarget',
      resourceLabel: 'app/app-alb/0123456789abcdef/targetgroup/app-tg/0123456789abcdef',
    });
    expect(config.targetValue).toBe(1000);
  });
});
