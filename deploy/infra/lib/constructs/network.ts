import { RemovalPolicy } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as logs from 'aws-cdk-lib/aws-logs'
import { Construct } from 'constructs'
import { ZONES, type Settings } from '../settings.ts'

export interface NetworkProps {
  /** prod keeps the flow logs when the stack goes (RETAIN_ON_UPDATE_OR_DELETE). */
  readonly stage: Settings['stage']
  readonly logRetentionDays: Settings['logRetentionDays']
  readonly natGateways: number
  /** Set: the load balancer's group also takes HTTPS (443). */
  readonly https: boolean
}

export const NGINX_PORT = 80
export const POSTGRES_PORT = 5432
export const REDIS_PORT = 6379

/**
 * The VPC over two availability zones (public subnets for the load balancer, private ones with
 * egress for the tasks, isolated ones for the database and the cache), `natGateways` NAT gateways
 * (prod: one in each zone, each zone's private subnet routed to its own), its flow logs, and the
 * security groups: only the load balancer reaches the tasks, on nginx's port; only the tasks
 * reach PostgreSQL and Redis.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc
  readonly loadBalancerGroup: ec2.SecurityGroup
  readonly serviceGroup: ec2.SecurityGroup
  readonly databaseGroup: ec2.SecurityGroup
  readonly cacheGroup: ec2.SecurityGroup

  constructor (scope: Construct, id: string, props: NetworkProps) {
    super(scope, id)
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetentionDays,
      removalPolicy: props.stage === 'prod' ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY
    })
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      maxAzs: ZONES,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
      // The VPC's default security group loses its rules (a custom resource of the CDK's does it):
      // nothing placed in it by mistake can talk to anything.
      restrictDefaultSecurityGroup: true
    })

    const group = (id: string, description: string, allowAllOutbound: boolean) =>
      new ec2.SecurityGroup(this, id, { vpc: this.vpc, description, allowAllOutbound })
    this.loadBalancerGroup = group('LoadBalancer', 'The ALB: HTTP and HTTPS from anywhere', false)
    this.serviceGroup = group('Service', 'The tasks: nginx from the ALB only', true)
    this.databaseGroup = group('Database', 'PostgreSQL: from the tasks only', false)
    this.cacheGroup = group('Cache', 'Redis: from the tasks only', false)

    this.loadBalancerGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP (redirected to HTTPS when a certificate is set)')
    if (props.https) this.loadBalancerGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS')
    this.loadBalancerGroup.addEgressRule(this.serviceGroup, ec2.Port.tcp(NGINX_PORT), 'to nginx in the tasks')
    this.serviceGroup.addIngressRule(this.loadBalancerGroup, ec2.Port.tcp(NGINX_PORT), 'nginx, from the ALB')
    this.databaseGroup.addIngressRule(this.serviceGroup, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL, from the tasks')
    this.cacheGroup.addIngressRule(this.serviceGroup, ec2.Port.tcp(REDIS_PORT), 'Redis, from the tasks')
  }
}
