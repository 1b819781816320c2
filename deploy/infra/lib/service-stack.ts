import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import type { Settings } from './settings.ts'
import type { DataStack } from './data-stack.ts'
import { Service } from './constructs/service.ts'
import { Edge } from './constructs/edge.ts'
import { Alarms } from './constructs/alarms.ts'

export interface ServiceStackProps extends StackProps {
  settings: Settings
  /** The VPC, the database and the cache the service uses (their own stack). */
  data: DataStack
}

/** The service of a stage over its data stack: one construct per concern, composed here. */
export class ServiceStack extends Stack {
  readonly service: Service
  readonly edge: Edge
  readonly alarms: Alarms

  constructor (scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props)
    const { settings, data: { network, database, cache, accessLogs } } = props
    this.service = new Service(this, 'Service', settings, network, database, cache)
    this.edge = new Edge(this, 'Edge', settings, network, this.service, accessLogs.bucket)
    this.service.scale(settings, this.edge.targetGroup)
    this.alarms = new Alarms(this, 'Alarms', settings, this.edge, this.service, database, cache)

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description })
    output('ServiceUrl', this.edge.url, this.edge.https
      ? `The service: HTTPS at ${settings.domainName}, through the load balancer${settings.hostedZoneId ? '' : ` (point ${settings.domainName} at LoadBalancerDnsName in your DNS)`}`
      : `The service: HTTP only, no certificateArn and domainName set${settings.domainName && !settings.hostedZoneId ? ` (point ${settings.domainName} at LoadBalancerDnsName in your DNS)` : ''}`)
    output('LoadBalancerDnsName', this.edge.loadBalancer.loadBalancerDnsName, 'The load balancer\'s own DNS name (domainName is an alias of it)')
    output('ClusterName', this.service.cluster.clusterName, 'ECS cluster')
    output('ServiceName', this.service.service.serviceName, 'ECS service')
    output('TaskDefinitionFamily', this.service.taskDefinition.family, 'Task definition family of the service')
    output('MigrationTaskDefinitionArn', this.service.migrationTask.taskDefinitionArn, 'Run once before a deploy (npm run deploy does)')
    output('MigrationSubnets', network.vpc.privateSubnets.map((s) => s.subnetId).join(','), 'Subnets for the migration task')
    output('MigrationSecurityGroup', network.serviceGroup.securityGroupId, 'Security group for the migration task')
    output('DashboardName', this.alarms.dashboard.dashboardName, 'CloudWatch dashboard')
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic of the alarms')
  }
}
