import { Duration, Stack, Validations } from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as ecs from 'aws-cdk-lib/aws-ecs'
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2'
import type * as elasticache from 'aws-cdk-lib/aws-elasticache'
import type * as rds from 'aws-cdk-lib/aws-rds'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import { Construct } from 'constructs'
import { ROUTES, routeLatency } from './collector.ts'

const FIVE_MINUTES = Duration.minutes(5)
const ONE_MINUTE = Duration.minutes(1)
// Minutes a deployment alarm's signal must hold: ECS watches the alarms while it rolls a new
// revision out and for a bake time it derives from their periods, then rolls back on ALARM.
const DEPLOYMENT_MINUTES = 3

export interface AlarmsProps {
  /** `<service>-<stage>`: the topic's display name, the dashboard's and the deployment alarms' names. */
  readonly name: string
  /** The service's name: the namespace of its OpenTelemetry metrics (latency by route). */
  readonly serviceName: string
  /** Set: the topic e-mails this address (a subscription to confirm). */
  readonly alarmEmail?: string
  /** The database's allocated storage: the free-storage alarm fires below 10 % of it. */
  readonly databaseStorageGb: number
  /** The most tasks the service runs: the connections alarm fires near what they open. */
  readonly maxTasks: number
  readonly loadBalancer: elbv2.ApplicationLoadBalancer
  readonly targetGroup: elbv2.ApplicationTargetGroup
  /** Watched, and given the deployment alarms (rollback on ALARM). */
  readonly service: ecs.FargateService
  readonly database: rds.DatabaseInstance
  readonly cache: elasticache.CfnReplicationGroup
}

/**
 * Alarms on what an operator must act on, an SNS topic for them (with an e-mail subscription
 * when alarmEmail is set), a CloudWatch dashboard with the same graphs, and the ECS deployment's
 * alarms: a new revision whose tasks answer 5xx or slowly is rolled back to the last completed
 * one (beside the circuit breaker, which catches tasks that do not start or turn healthy).
 */
export class Alarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = []
  /** The alarms ECS watches during a deployment (rollback on ALARM), by their fixed names. */
  readonly deploymentAlarms: cloudwatch.Alarm[] = []
  readonly topic: sns.Topic
  readonly dashboard: cloudwatch.Dashboard

  constructor (scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id)
    const { service, database, cache } = props
    this.topic = new sns.Topic(this, 'Topic', { displayName: `${props.name} alarms`, enforceSSL: true })
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail))
    Validations.of(this.topic).acknowledge({ id: 'AwsSolutions::AwsSolutions-SNS2', reason: 'Alarm notifications carry no data; CloudWatch can publish to an encrypted topic only through a customer-managed key, which costs more than the alarm text is worth.' })

    const lb = props.loadBalancer.metrics
    const tg = props.targetGroup.metrics
    const requests = lb.requestCount({ period: FIVE_MINUTES, statistic: 'Sum' })
    const rate = (label: string, id: string, errors: cloudwatch.IMetric) => new cloudwatch.MathExpression({
      label,
      expression: `100 * ${id} / MAX([requests, 1])`,
      usingMetrics: { [id]: errors, requests },
      period: FIVE_MINUTES
    })
    const elb5xx = rate('ALB 5xx, % of requests', 'elb5xx', lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: FIVE_MINUTES, statistic: 'Sum' }))
    const target5xx = rate('Target 5xx, % of requests', 'target5xx', lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: FIVE_MINUTES, statistic: 'Sum' }))
    const unhealthy = tg.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' })
    const p99 = tg.targetResponseTime({ period: FIVE_MINUTES, statistic: 'p99' })
    const cpu = service.metricCpuUtilization({ period: FIVE_MINUTES })
    const memory = service.metricMemoryUtilization({ period: FIVE_MINUTES })
    const dbCpu = database.metricCPUUtilization({ period: FIVE_MINUTES })
    const dbStorage = database.metricFreeStorageSpace({ period: FIVE_MINUTES, statistic: 'Minimum' })
    const dbConnections = database.metricDatabaseConnections({ period: FIVE_MINUTES, statistic: 'Maximum' })
    const cacheMetric = (metricName: string, statistic: string) => new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      // The primary node (the first member of the replication group).
      dimensionsMap: { CacheClusterId: `${cache.ref}-001` },
      period: FIVE_MINUTES,
      statistic
    })
    const cacheCpu = cacheMetric('EngineCPUUtilization', 'Average')
    const evictions = cacheMetric('Evictions', 'Sum')

    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string, comparison = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, periods = 2, alarmName?: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmName,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: comparison,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
      })
      a.addAlarmAction(new actions.SnsAction(this.topic))
      a.addOkAction(new actions.SnsAction(this.topic))
      this.alarms.push(a)
      return a
    }
    alarm('Alb5xxRate', elb5xx, 1, 'More than 1 % of requests answered 5xx by the load balancer itself (no healthy target, timeouts)')
    alarm('Target5xxRate', target5xx, 1, 'More than 1 % of requests answered 5xx by the tasks')
    alarm('UnhealthyTargets', unhealthy, 0, 'A task fails the load balancer\'s check (/health/started through nginx): hung, crashed or not started', cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, 3)
    alarm('P99Latency', p99, 1, 'p99 target response time above 1 s')
    alarm('ServiceCpu', cpu, 85, 'Service CPU above 85 % (scaling targets 60 %): at the maximum task count?')
    alarm('ServiceMemory', memory, 85, 'Service memory above 85 %')
    alarm('DatabaseCpu', dbCpu, 80, 'RDS CPU above 80 %')
    alarm('DatabaseFreeStorage', dbStorage, props.databaseStorageGb * 1024 ** 3 * 0.1, 'RDS free storage below 10 %', cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD)
    // Each task holds DB_POOL_MAX (10) connections, and a few for checks and migrations.
    alarm('DatabaseConnections', dbConnections, props.maxTasks * 12 * 0.9, 'RDS connections near what the maximum task count opens')
    alarm('CacheCpu', cacheCpu, 80, 'ElastiCache engine CPU above 80 %')
    alarm('CacheEvictions', evictions, 0, 'ElastiCache is evicting keys: the node is full')

    // Deployment alarms, on one-minute data so that a bad revision is seen while it rolls out.
    // The service names them by their literal names (a token could make a cycle, the CDK warns)
    // and depends on them, so that they exist before it does; they notify the topic too, as a
    // rollback is news.
    const deploymentNames: string[] = []
    const deploymentAlarm = (id: string, name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const alarmName = `${props.name}-deployment-${name}`
      deploymentNames.push(alarmName)
      this.deploymentAlarms.push(alarm(id, metric, threshold, `${description}: ECS rolls a deployment in progress back to the last completed one`,
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, DEPLOYMENT_MINUTES, alarmName))
    }
    const requestsPerMinute = lb.requestCount({ period: ONE_MINUTE, statistic: 'Sum' })
    deploymentAlarm('DeploymentTarget5xxRate', 'target-5xx', new cloudwatch.MathExpression({
      label: 'Target 5xx, % of requests (1 min)',
      expression: '100 * target5xx / MAX([requests, 1])',
      usingMetrics: { target5xx: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: ONE_MINUTE, statistic: 'Sum' }), requests: requestsPerMinute },
      period: ONE_MINUTE
    }), 1, `More than 1 % of requests answered 5xx by the tasks for ${DEPLOYMENT_MINUTES} minutes`)
    deploymentAlarm('DeploymentP99Latency', 'p99', tg.targetResponseTime({ period: ONE_MINUTE, statistic: 'p99' }), 1, `p99 target response time above 1 s for ${DEPLOYMENT_MINUTES} minutes`)
    service.enableDeploymentAlarms(deploymentNames, { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM })
    for (const a of this.deploymentAlarms) service.node.addDependency(a)

    // enforceSSL gives the topic a policy of its own (the TLS-only deny), which replaces SNS's
    // default one: CloudWatch is allowed to publish again, for these alarms of this account only
    // (aws:SourceArn and aws:SourceAccount, against the confused deputy).
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        ArnEquals: { 'aws:SourceArn': this.alarms.map((a) => a.alarmArn) }
      }
    }))

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.name })
    const graph = (title: string, ...left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, width: 8 })
    this.dashboard.addWidgets(
      graph('Requests', requests),
      graph('5xx, % of requests', elb5xx, target5xx),
      graph('p99 target response time (s)', p99),
      graph('Unhealthy targets', unhealthy),
      graph('Service CPU and memory (%)', cpu, memory),
      graph('RDS CPU (%)', dbCpu),
      graph('RDS free storage (bytes)', dbStorage),
      graph('RDS connections', dbConnections),
      graph('ElastiCache CPU (%) and evictions', cacheCpu, evictions)
    )
    // From the app's OpenTelemetry metrics (the collector sidecar's EMF): latency by route.
    const latency = (statistic: string) => new cloudwatch.GraphWidget({
      title: `${statistic} latency by route (s)`,
      width: 12,
      left: ROUTES.map(([method, route]) => new cloudwatch.Metric({ ...routeLatency(props.serviceName, method, route), statistic, period: Duration.minutes(1), label: `${method} ${route}` }))
    })
    this.dashboard.addWidgets(latency('p50'), latency('p99'))
  }
}
