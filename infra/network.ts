import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The app's port inside its container (the Dockerfile's PORT). */
export const APP_PORT = 3000;
export const POSTGRES_PORT = 5432;
export const QDRANT_PORT = 6333;
const NFS_PORT = 2049;
const HTTPS_PORT = 443;
const ANYWHERE = '0.0.0.0/0';

export interface NetworkArgs {
  region: string;
  /** A /16: subnets are /20s cut from it. */
  vpcCidr: string;
  /** `single`: one NAT gateway for both zones; `per-az`: one per zone, so a zone outage leaves the other's egress. */
  natGateways: 'single' | 'per-az';
  /** Open 443 on the load balancer (only when there is an HTTPS listener behind it). */
  https: boolean;
  /** Create the security groups for a self-hosted Qdrant and its EFS file system. */
  selfHostedQdrant: boolean;
  tags: Record<string, string>;
}

/**
 * A VPC over two availability zones: public subnets (the load balancer, the NAT gateways) and
 * private subnets (the tasks, RDS, EFS), and the security groups that say who talks to whom:
 * internet → ALB on 80/443; ALB → app on its port; app → Qdrant and app → Postgres; Qdrant → EFS.
 * Plain `@pulumi/aws` resources rather than `awsx.ec2.Vpc`, so that unit tests can see each one.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly albSecurityGroupId: pulumi.Output<string>;
  readonly appSecurityGroupId: pulumi.Output<string>;
  readonly databaseSecurityGroupId: pulumi.Output<string>;
  readonly qdrantSecurityGroupId?: pulumi.Output<string>;
  readonly efsSecurityGroupId?: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:Network', name, {}, opts);
    const parent = { parent: this };
    const tag = (n: string) => ({ ...args.tags, Name: `${name}-${n}` });
    const [a, b] = args.vpcCidr.split('.') as [string, string];
    // Public /20s at the bottom of the range, private ones from the middle: room to grow both.
    const publicCidr = (i: number) => `${a}.${b}.${i * 16}.0/20`;
    const privateCidr = (i: number) => `${a}.${b}.${128 + i * 16}.0/20`;

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tag('vpc') },
      parent,
    );
    const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, parent).names;
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tag('igw') }, parent);

    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, routes: [{ cidrBlock: ANYWHERE, gatewayId: igw.id }], tags: tag('public') },
      parent,
    );
    const zoneCount = 2;
    const publicSubnets: aws.ec2.Subnet[] = [];
    const privateSubnets: aws.ec2.Subnet[] = [];
    for (let i = 0; i < zoneCount; i++) {
      const az = zones.apply((z) => {
        if (z.length < zoneCount) throw new Error(`the region has ${z.length} availability zones; ${zoneCount} needed`);
        return z[i]!;
      });
      const pub = new aws.ec2.Subnet(
        `${name}-public-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock: publicCidr(i),
          availabilityZone: az,
          // Nothing launched here needs a public address (the ALB and NAT get theirs explicitly).
          mapPublicIpOnLaunch: false,
          tags: tag(`public-${i}`),
        },
        parent,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${i}`,
        { subnetId: pub.id, routeTableId: publicRoutes.id },
        parent,
      );
      publicSubnets.push(pub);
      privateSubnets.push(
        new aws.ec2.Subnet(
          `${name}-private-${i}`,
          {
            vpcId: vpc.id,
            cidrBlock: privateCidr(i),
            availabilityZone: az,
            mapPublicIpOnLaunch: false,
            tags: tag(`private-${i}`),
          },
          parent,
        ),
      );
    }

    // Private subnets reach the internet (the LLM API, ECR, Secrets Manager, Docker Hub) through NAT.
    const natCount = args.natGateways === 'per-az' ? zoneCount : 1;
    const nats: aws.ec2.NatGateway[] = [];
    for (let i = 0; i < natCount; i++) {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: 'vpc', tags: tag(`nat-${i}`) }, parent);
      nats.push(
        new aws.ec2.NatGateway(
          `${name}-nat-${i}`,
          { allocationId: eip.id, subnetId: publicSubnets[i]!.id, tags: tag(`nat-${i}`) },
          { parent: this, dependsOn: [igw] },
        ),
      );
    }
    const privateRouteTables = privateSubnets.map((subnet, i) => {
      const nat = nats[Math.min(i, nats.length - 1)]!;
      const table = new aws.ec2.RouteTable(
        `${name}-private-${i}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: ANYWHERE, natGatewayId: nat.id }], tags: tag(`private-${i}`) },
        parent,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${i}`,
        { subnetId: subnet.id, routeTableId: table.id },
        parent,
      );
      return table;
    });
    // S3 through a gateway endpoint: free, and document traffic stays off the NAT's per-GB bill.
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRouteTables.map((t) => t.id),
        tags: tag('s3'),
      },
      parent,
    );

    // Security groups. Every rule is its own resource (the provider's recommended form); a group
    // created without inline rules has AWS's default allow-all egress removed.
    const group = (n: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${n}`, { vpcId: vpc.id, description, tags: tag(n) }, parent);
    const alb = group('alb', 'ragchat load balancer: HTTP(S) from the internet');
    const app = group('app', 'ragchat app tasks: the app port from the load balancer only');
    const db = group('db', 'ragchat Postgres: 5432 from the app only');

    const ingressFromInternet = (port: number) =>
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-in-${port}`,
        { securityGroupId: alb.id, ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIpv4: ANYWHERE },
        parent,
      );
    ingressFromInternet(80);
    if (args.https) ingressFromInternet(HTTPS_PORT);
    const link = (
      from: aws.ec2.SecurityGroup,
      fromName: string,
      to: aws.ec2.SecurityGroup,
      toName: string,
      port: number,
    ) => {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${fromName}-to-${toName}`,
        { securityGroupId: from.id, ipProtocol: 'tcp', fromPort: port, toPort: port, referencedSecurityGroupId: to.id },
        parent,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${toName}-from-${fromName}`,
        { securityGroupId: to.id, ipProtocol: 'tcp', fromPort: port, toPort: port, referencedSecurityGroupId: from.id },
        parent,
      );
    };
    const httpsOut = (from: aws.ec2.SecurityGroup, fromName: string) =>
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${fromName}-https-out`,
        { securityGroupId: from.id, ipProtocol: 'tcp', fromPort: HTTPS_PORT, toPort: HTTPS_PORT, cidrIpv4: ANYWHERE },
        parent,
      );
    link(alb, 'alb', app, 'app', APP_PORT);
    link(app, 'app', db, 'db', POSTGRES_PORT);
    // The app calls AWS APIs (ECR, logs, secrets, S3) and the model providers over HTTPS.
    httpsOut(app, 'app');

    if (args.selfHostedQdrant) {
      const qdrant = group('qdrant', 'ragchat Qdrant: 6333 from the app only');
      const efs = group('efs', "ragchat Qdrant's EFS storage: NFS from Qdrant only");
      link(app, 'app', qdrant, 'qdrant', QDRANT_PORT);
      link(qdrant, 'qdrant', efs, 'efs', NFS_PORT);
      // Qdrant's image comes from Docker Hub and its logs go to CloudWatch.
      httpsOut(qdrant, 'qdrant');
      this.qdrantSecurityGroupId = qdrant.id;
      this.efsSecurityGroupId = efs.id;
    }

    this.vpcId = vpc.id;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.albSecurityGroupId = alb.id;
    this.appSecurityGroupId = app.id;
    this.databaseSecurityGroupId = db.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      albSecurityGroupId: this.albSecurityGroupId,
      appSecurityGroupId: this.appSecurityGroupId,
    });
  }
}
