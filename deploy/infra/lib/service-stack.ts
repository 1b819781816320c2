import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import type { Settings } from './settings.ts'
import { Network } from './constructs/network.ts'
import { Database } from './constructs/database.ts'
import { Cache } from './constructs/cache.ts'
import { Service } from './constructs/service.ts'
import { Edge } from './constructs/edge.ts'
import { Alarms } from './constructs/alarms.ts'

export interface ServiceStackProps extends StackProps {
  settings: Settings
}

/** The production environment of the service: one construct per concern, composed here. */
export class ServiceStack extends Stack {
  readonly network: Network
  readonly database: Database
  readonly cache: Cache
  readonly service: Service
  readonly edge: Edge
  readonly alarms: Alarms

  constructor (scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props)
    const { settings } = props
    this.network = new Network(this, 'Network', settings)
    this.database = new Database(this, 'Database', settings, this.network)
    this.cache = new Cache(this, 'Cache', settings, this.network)
    this.service = new Service(this, 'Service', settings, this.network, this.database, this.cache)
    this.edge = new Edge(this, 'Edge', settings, this.network, this.service)
    this.service.scale(settings, this.edge.targetGroup)
    this.alarms = new Alarms(this, 'Alarms', settings, this.edge, this.service, this.database, this.cache)

    Validations.of(this.network.loadBalancerGroup).acknowledge({ id: 'AwsSolutions::AwsSolutions-EC23', reason: 'The internet-facing load balancer takes HTTP(S) from anywhere, behind the WAF web ACL; nothing else is open to the internet.' })

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description })
    output('ServiceUrl', this.edge.url, this.edge.https
      ? `The service: HTTPS at ${settings.domainName}, through the load balancer${settings.hostedZoneId ? '' : ` (point ${settings.domainName} at LoadBalancerDnsName in your DNS)`}`
      : `The service: HTTP only, no certificateArn and domainName set${settings.domainName && !settings.hostedZoneId ? ` (point ${settings.domainName} at LoadBalancerDnsName in your DNS)` : ''}`)
    output('LoadBalancerDnsName', this.edge.loadBalancer.loadBalancerDnsName, 'The load balancer\'s own DNS name (domainName is an alias of it)')
    output('ClusterName', this.service.cluster.clusterName, 'ECS cluster')
    output('ServiceName', this.service.service.serviceName, 'ECS service')
    output('TaskDefinitionFamily', this.service.taskDefinition.family, 'Task definition family of the service')
    output('MigrationTaskDefinitionArn', this.service.migrationTask.taskDefinitionArn, 'Run once before a deploy (npm run deploy does)')
    output('MigrationSubnets', this.network.vpc.privateSubnets.map((s) => s.subnetId).join(','), 'Subnets for the migration task')
    output('MigrationSecurityGroup', this.network.serviceGroup.securityGroupId, 'Security group for the migration task')
    output('DashboardName', this.alarms.dashboard.dashboardName, 'CloudWatch dashboard')
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic of the alarms')
  }
}
