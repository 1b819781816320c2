import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import type { Settings } from './settings.ts'
import { names } from './names.ts'
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
    const { serviceName, stage } = settings
    // The edge first: its target group is where the service registers its tasks and what it
    // scales on; the alarms watch both.
    this.edge = new Edge(this, 'Edge', {
      serviceName,
      stage,
      vpc: network.vpc,
      securityGroup: network.loadBalancerGroup,
      certificateArn: settings.certificateArn,
      domainName: settings.domainName,
      hostedZone: settings.hostedZoneId && settings.hostedZoneName ? { id: settings.hostedZoneId, name: settings.hostedZoneName } : undefined,
      wafRateLimit: settings.wafRateLimit,
      accessLogs: accessLogs.bucket
    })
    this.service = new Service(this, 'Service', {
      serviceName,
      stage,
      names: names(settings),
      logRetentionDays: settings.logRetentionDays,
      appImageDigest: settings.appImageDigest,
      nginxImageDigest: settings.nginxImageDigest,
      taskCpu: settings.taskCpu,
      taskMemoryMiB: settings.taskMemoryMiB,
      paused: settings.paused,
      migrationTimeoutMinutes: settings.migrationTimeoutMinutes,
      traceSampleRatio: settings.traceSampleRatio,
      collectorImage: settings.collectorImage,
      scaling: { minTasks: settings.minTasks, maxTasks: settings.maxTasks, cpuTargetPercent: settings.cpuTargetPercent, requestsPerTarget: settings.requestsPerTarget },
      vpc: network.vpc,
      securityGroup: network.serviceGroup,
      database: database.instance,
      cache: { host: cache.replicationGroup.attrPrimaryEndPointAddress, authToken: cache.authToken },
      targetGroup: this.edge.targetGroup
    })
    this.alarms = new Alarms(this, 'Alarms', {
      name: `${serviceName}-${stage}`,
      serviceName,
      alarmEmail: settings.alarmEmail,
      databaseStorageGb: settings.databaseStorageGb,
      maxTasks: settings.maxTasks,
      loadBalancer: this.edge.loadBalancer,
      targetGroup: this.edge.targetGroup,
      service: this.service.service,
      database: database.instance,
      cache: cache.replicationGroup
    })

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
