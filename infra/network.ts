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

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tag('vpc') },
      parent,
    );
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tag('igw') }, parent);
    const { publicSubnets, privateSubnets } = subnets(name, args, vpc, igw, tag, parent);
    const privateRouteTables = natRouting(name, args, vpc, igw, publicSubnets, privateSubnets, tag, parent);
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
    const groups = securityGroups(name, args, vpc, tag, parent);

    this.vpcId = vpc.id;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.albSecurityGroupId = groups.alb.id;
    this.appSecurityGroupId = groups.app.id;
    this.databaseSecurityGroupId = groups.db.id;
    this.qdrantSecurityGroupId = groups.qdrant?.id;
    this.efsSecurityGroupId = groups.efs?.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      albSecurityGroupId: this.albSecurityGroupId,
      appSecurityGroupId: this.appSecurityGroupId,
    });
  }
}

/** `Name` tags: the stack's tags plus `<network>-<part>`. */
type Tagger = (part: string) => Record<string, string>;

const ZONE_COUNT = 2;

/**
 * A public and a private /20 in each of two zones. Public ones route to the internet gateway;
 * private ones get their routes from {@link natRouting}. Nothing launched in either needs a public
 * address (the ALB and NAT get theirs explicitly).
 */
function subnets(
  name: string,
  args: NetworkArgs,
  vpc: aws.ec2.Vpc,
  igw: aws.ec2.InternetGateway,
  tag: Tagger,
  parent: pulumi.CustomResourceOptions,
) {
  const [a, b] = args.vpcCidr.split('.') as [string, string];
  // Public /20s at the bottom of the range, private ones from the middle: room to grow both.
  const publicCidr = (i: number) => `${a}.${b}.${i * 16}.0/20`;
  const privateCidr = (i: number) => `${a}.${b}.${128 + i * 16}.0/20`;
  const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, parent).names;
  const publicRoutes = new aws.ec2.RouteTable(
    `${name}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: ANYWHERE, gatewayId: igw.id }], tags: tag('public') },
    parent,
  );
  const subnet = (kind: 'public' | 'private', i: number, availabilityZone: pulumi.Output<string>) =>
    new aws.ec2.Subnet(
      `${name}-${kind}-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock: kind === 'public' ? publicCidr(i) : privateCidr(i),
        availabilityZone,
        mapPublicIpOnLaunch: false,
        tags: tag(`${kind}-${i}`),
      },
      parent,
    );
  const publicSubnets: aws.ec2.Subnet[] = [];
  const privateSubnets: aws.ec2.Subnet[] = [];
  for (let i = 0; i < ZONE_COUNT; i++) {
    const az = zones.apply((z) => {
      if (z.length < ZONE_COUNT) throw new Error(`the region has ${z.length} availability zones; ${ZONE_COUNT} needed`);
      return z[i]!;
    });
    const pub = subnet('public', i, az);
    new aws.ec2.RouteTableAssociation(
      `${name}-public-${i}`,
      { subnetId: pub.id, routeTableId: publicRoutes.id },
      parent,
    );
    publicSubnets.push(pub);
    privateSubnets.push(subnet('private', i, az));
  }
  return { publicSubnets, privateSubnets };
}

/**
 * Private subnets reach the internet (the LLM API, ECR, Secrets Manager, Docker Hub) through NAT:
 * one gateway for both zones, or one per zone. Returns the private route tables.
 */
function natRouting(
  name: string,
  args: NetworkArgs,
  vpc: aws.ec2.Vpc,
  igw: aws.ec2.InternetGateway,
  publicSubnets: aws.ec2.Subnet[],
  privateSubnets: aws.ec2.Subnet[],
  tag: Tagger,
  parent: pulumi.CustomResourceOptions,
): aws.ec2.RouteTable[] {
  const natCount = args.natGateways === 'per-az' ? ZONE_COUNT : 1;
  const nats: aws.ec2.NatGateway[] = [];
  for (let i = 0; i < natCount; i++) {
    const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: 'vpc', tags: tag(`nat-${i}`) }, parent);
    nats.push(
      new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        { allocationId: eip.id, subnetId: publicSubnets[i]!.id, tags: tag(`nat-${i}`) },
        { ...parent, dependsOn: [igw] },
      ),
    );
  }
  return privateSubnets.map((subnet, i) => {
    const nat = nats[Math.min(i, nats.length - 1)]!;
    const table = new aws.ec2.RouteTable(
      `${name}-private-${i}`,
      { vpcId: vpc.id, routes: [{ cidrBlock: ANYWHERE, natGatewayId: nat.id }], tags: tag(`private-${i}`) },
      parent,
    );
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: table.id }, parent);
    return table;
  });
}

/**
 * Who talks to whom: internet → ALB on 80 (and 443 with HTTPS); ALB → app on its port; app →
 * Postgres, app → Qdrant, Qdrant → EFS; the app and Qdrant out to HTTPS. Every rule is its own
 * resource (the provider's recommended form); a group created without inline rules has AWS's
 * default allow-all egress removed.
 */
function securityGroups(
  name: string,
  args: NetworkArgs,
  vpc: aws.ec2.Vpc,
  tag: Tagger,
  parent: pulumi.CustomResourceOptions,
) {
  const group = (n: string, description: string) =>
    new aws.ec2.SecurityGroup(`${name}-${n}`, { vpcId: vpc.id, description, tags: tag(n) }, parent);
  const alb = group('alb', 'ragchat load balancer: HTTP(S) from the internet');
  const app = group('app', 'ragchat app tasks: the app port from the load balancer only');
  const db = group('db', 'ragchat Postgres: 5432 from the app only');
  const rules = securityRules(name, parent);

  rules.ingressFromInternet(alb, 80);
  if (args.https) rules.ingressFromInternet(alb, HTTPS_PORT);
  rules.link(alb, 'alb', app, 'app', APP_PORT);
  rules.link(app, 'app', db, 'db', POSTGRES_PORT);
  // The app calls AWS APIs (ECR, logs, secrets, S3) and the model providers over HTTPS.
  rules.httpsOut(app, 'app');
  if (!args.selfHostedQdrant) return { alb, app, db };

  const qdrant = group('qdrant', 'ragchat Qdrant: 6333 from the app only');
  const efs = group('efs', "ragchat Qdrant's EFS storage: NFS from Qdrant only");
  rules.link(app, 'app', qdrant, 'qdrant', QDRANT_PORT);
  rules.link(qdrant, 'qdrant', efs, 'efs', NFS_PORT);
  // Qdrant's image comes from Docker Hub and its logs go to CloudWatch.
  rules.httpsOut(qdrant, 'qdrant');
  return { alb, app, db, qdrant, efs };
}

/** The three kinds of rule this network has, each a resource named for the hop it opens. */
function securityRules(name: string, parent: pulumi.CustomResourceOptions) {
  const tcp = (port: number) => ({ ipProtocol: 'tcp', fromPort: port, toPort: port });
  return {
    ingressFromInternet: (alb: aws.ec2.SecurityGroup, port: number) =>
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-in-${port}`,
        { securityGroupId: alb.id, ...tcp(port), cidrIpv4: ANYWHERE },
        parent,
      ),
    link: (from: aws.ec2.SecurityGroup, fromName: string, to: aws.ec2.SecurityGroup, toName: string, port: number) => {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${fromName}-to-${toName}`,
        { securityGroupId: from.id, ...tcp(port), referencedSecurityGroupId: to.id },
        parent,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${toName}-from-${fromName}`,
        { securityGroupId: to.id, ...tcp(port), referencedSecurityGroupId: from.id },
        parent,
      );
    },
    httpsOut: (from: aws.ec2.SecurityGroup, fromName: string) =>
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${fromName}-https-out`,
        { securityGroupId: from.id, ...tcp(HTTPS_PORT), cidrIpv4: ANYWHERE },
        parent,
      ),
  };
}
