import { describe, expect, test } from 'bun:test';
import { describeRules, PROD_SETTINGS, runStack, securityRules, TEST_SECRETS, TYPES } from './harness.ts';

const dev = () => runStack('dev');
const prod = () => runStack('prod', PROD_SETTINGS, TEST_SECRETS);

describe('network: VPC over two zones', () => {
  for (const [stack, run] of [
    ['dev', dev],
    ['prod', prod],
  ] as const) {
    test(`${stack}: two public and two private subnets, one of each per zone, none handing out public addresses`, async () => {
      const { ofType } = await run();
      const subnets = ofType(TYPES.subnet);
      const publics = subnets.filter((s) => s.name.includes('-public-'));
      const privates = subnets.filter((s) => s.name.includes('-private-'));
      expect(publics).toHaveLength(2);
      expect(privates).toHaveLength(2);
      expect(new Set(publics.map((s) => s.inputs.availabilityZone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
      expect(new Set(privates.map((s) => s.inputs.availabilityZone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
      for (const s of subnets) expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
      const cidrs = subnets.map((s) => s.inputs.cidrBlock);
      expect(new Set(cidrs).size).toBe(4);
      for (const c of cidrs) expect(c).toMatch(/^10\.0\.\d+\.0\/20$/);
    });

    test(`${stack}: only the public route table reaches the internet gateway`, async () => {
      const { ofType } = await run();
      const tables = ofType(TYPES.routeTable);
      const viaIgw = tables.filter((t) => t.inputs.routes.some((r: { gatewayId?: string }) => r.gatewayId));
      expect(viaIgw.map((t) => t.name)).toEqual(['network-public']);
      for (const t of tables.filter((t) => t.name.startsWith('network-private-')))
        expect(t.inputs.routes).toEqual([
          { cidrBlock: '0.0.0.0/0', natGatewayId: expect.stringMatching(/^network-nat-/) },
        ]);
    });
  }

  test('dev: one NAT gateway, shared by both private subnets', async () => {
    const { ofType, get } = await dev();
    expect(ofType(TYPES.natGateway)).toHaveLength(1);
    expect(ofType(TYPES.eip)).toHaveLength(1);
    expect(get(TYPES.natGateway, 'network-nat-0').inputs.subnetId).toBe('network-public-0-id');
    for (const i of [0, 1])
      expect(get(TYPES.routeTable, `network-private-${i}`).inputs.routes[0].natGatewayId).toBe('network-nat-0-id');
  });

  test('prod: one NAT gateway per zone, each private subnet leaving through its own zone', async () => {
    const { ofType, get } = await prod();
    expect(ofType(TYPES.natGateway)).toHaveLength(2);
    expect(ofType(TYPES.eip)).toHaveLength(2);
    for (const i of [0, 1]) {
      expect(get(TYPES.natGateway, `network-nat-${i}`).inputs.subnetId).toBe(`network-public-${i}-id`);
      expect(get(TYPES.routeTable, `network-private-${i}`).inputs.routes[0].natGatewayId).toBe(`network-nat-${i}-id`);
    }
  });
});

describe('network: security groups open only what each hop needs', () => {
  test('dev (self-hosted Qdrant, no certificate): the exact set of rules', async () => {
    expect(describeRules(securityRules(await dev()))).toEqual(
      [
        // internet → ALB: HTTP only (no HTTPS listener without a certificate)
        'alb:tcp/80<-0.0.0.0/0',
        // ALB → app port
        'alb:tcp/3000->app',
        'app:tcp/3000<-alb',
        // app → Postgres, app → Qdrant
        'app:tcp/5432->db',
        'db:tcp/5432<-app',
        'app:tcp/6333->qdrant',
        'qdrant:tcp/6333<-app',
        // Qdrant → its EFS storage
        'qdrant:tcp/2049->efs',
        'efs:tcp/2049<-qdrant',
        // out to AWS APIs, the model provider, Docker Hub (through NAT)
        'app:tcp/443->0.0.0.0/0',
        'qdrant:tcp/443->0.0.0.0/0',
      ].sort(),
    );
  });

  test('prod (Qdrant Cloud, certificate): 80 and 443 from the internet, no Qdrant or EFS groups', async () => {
    const run = await prod();
    expect(describeRules(securityRules(run))).toEqual(
      [
        'alb:tcp/80<-0.0.0.0/0',
        'alb:tcp/443<-0.0.0.0/0',
        'alb:tcp/3000->app',
        'app:tcp/3000<-alb',
        'app:tcp/5432->db',
        'db:tcp/5432<-app',
        'app:tcp/443->0.0.0.0/0',
      ].sort(),
    );
    expect(run.ofType(TYPES.securityGroup).map((g) => g.name)).toEqual(['network-alb', 'network-app', 'network-db']);
  });

  for (const [stack, run] of [
    ['dev', dev],
    ['prod', prod],
  ] as const) {
    test(`${stack}: nothing but the load balancer accepts traffic from an address range`, async () => {
      const ingress = securityRules(await run()).filter((r) => r.direction === 'ingress');
      for (const rule of ingress.filter((r) => r.group !== 'alb')) expect(rule.peer).not.toMatch(/\//);
      for (const rule of ingress.filter((r) => r.group === 'alb')) {
        expect([80, 443]).toContain(rule.fromPort);
        expect(rule.toPort).toBe(rule.fromPort);
      }
      // No port ranges, no "all protocols" (-1) anywhere.
      for (const rule of securityRules(await run())) {
        expect(rule.protocol).toBe('tcp');
        expect(rule.toPort).toBe(rule.fromPort);
      }
    });

    test(`${stack}: groups carry no inline rules (so AWS's default allow-all egress is removed) and no legacy rules`, async () => {
      const { ofType } = await run();
      for (const group of ofType(TYPES.securityGroup)) {
        expect(group.inputs.ingress ?? []).toEqual([]);
        expect(group.inputs.egress ?? []).toEqual([]);
      }
      expect(ofType(TYPES.legacyRule)).toHaveLength(0);
    });
  }
});
