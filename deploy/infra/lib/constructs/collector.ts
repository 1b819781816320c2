import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib'
import * as ecs from 'aws-cdk-lib/aws-ecs'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as logs from 'aws-cdk-lib/aws-logs'
import { Construct } from 'constructs'
import type { Settings } from '../settings.ts'
import { apiRoutes } from '../routes.ts'

/** The collector's configuration (traces to X-Ray, metrics to CloudWatch as EMF). */
export const COLLECTOR_CONFIG = join(import.meta.dirname, '..', '..', '..', 'otel', 'collector-ecs.yaml')
// OTLP/HTTP on the task's localhost (the collector listens there only).
export const COLLECTOR_ENDPOINT = 'http://127.0.0.1:4318'

/** The API's routes, method and template (read from the service's routes/): the dashboard graphs p50 and p99 latency for each. */
export const ROUTES: ReadonlyArray<readonly [string, string]> = apiRoutes()

/** The OTEL_* variables the app container gets: export to the sidecar, sampled at the setting. */
export function collectorEnvironment (settings: Pick<Settings, 'serviceName' | 'stage' | 'traceSampleRatio'>): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR_ENDPOINT,
    OTEL_SERVICE_NAME: settings.serviceName,
    OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=${settings.stage}`,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(settings.traceSampleRatio),
    OTEL_METRIC_EXPORT_INTERVAL: '60000'
  }
}

/** The CloudWatch metric of the request-duration histogram for one route (EMF dimensions). */
export function routeLatency (serviceName: string, method: string, route: string) {
  return {
    namespace: serviceName,
    metricName: 'http.server.request.duration',
    dimensionsMap: { 'service.name': serviceName, 'http.route': route, 'http.request.method': method }
  }
}

export interface CollectorProps {
  /** The service's name: the EMF namespace of its metrics. */
  readonly serviceName: string
  /** prod keeps the log groups when the stack goes (RETAIN_ON_UPDATE_OR_DELETE). */
  readonly stage: Settings['stage']
  /** `/ecs/<cluster>`: the collector's log groups are `<prefix>/metrics` and `<prefix>/collector`. */
  readonly logGroupPrefix: string
  readonly logRetentionDays: Settings['logRetentionDays']
  /** The ADOT collector image (settings' collectorImage). */
  readonly image: string
  /** The service's task definition, which gets the sidecar and its task-role permissions. */
  readonly taskDefinition: ecs.FargateTaskDefinition
  /** The task's log driver for a log group and stream prefix. */
  readonly logging: (group: logs.LogGroup, prefix: string) => ecs.LogDriver
}

/**
 * The AWS Distro for OpenTelemetry collector as a sidecar of the service's task: not essential (a
 * collector that stops takes no request with it), started before the app, which exports to it
 * on the task's localhost. Its task-role permissions: X-Ray's write actions and writing the EMF
 * log group it puts metrics in, nothing else.
 */
export class Collector extends Construct {
  readonly container: ecs.ContainerDefinition
  readonly metricsLogGroup: logs.LogGroup

  constructor (scope: Construct, id: string, props: CollectorProps) {
    super(scope, id)
    const { taskDefinition, logging } = props
    const removalPolicy = props.stage === 'prod' ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY
    this.metricsLogGroup = new logs.LogGroup(this, 'MetricsLogs', { logGroupName: `${props.logGroupPrefix}/metrics`, retention: props.logRetentionDays, removalPolicy })
    const ownLogs = new logs.LogGroup(this, 'CollectorLogs', { logGroupName: `${props.logGroupPrefix}/collector`, retention: props.logRetentionDays, removalPolicy })

    this.container = taskDefinition.addContainer('otel', {
      containerName: 'otel',
      image: ecs.ContainerImage.fromRegistry(props.image),
      essential: false,
      environment: {
        AOT_CONFIG_CONTENT: readFileSync(COLLECTOR_CONFIG, 'utf8'),
        EMF_NAMESPACE: props.serviceName,
        EMF_LOG_GROUP: this.metricsLogGroup.logGroupName
      },
      memoryReservationMiB: 128,
      // The image's own check of the health_check extension.
      healthCheck: { command: ['CMD', '/healthcheck'], interval: Duration.seconds(10), timeout: Duration.seconds(3), retries: 3, startPeriod: Duration.seconds(10) },
      logging: logging(ownLogs, 'otel')
    })

    Validations.of(taskDefinition).acknowledge({
      id: 'CloudFormation-Validate::E1029',
      // eslint-disable-next-line no-template-curly-in-string -- the collector's ${env:…}, quoted
      reason: 'The ${env:AWS_REGION}, ${env:EMF_NAMESPACE} and ${env:EMF_LOG_GROUP} of AOT_CONFIG_CONTENT are the collector\'s own references to its environment, expanded by the collector when it starts; CloudFormation must leave them as they are.'
    })

    const role = taskDefinition.taskRole
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }))
    this.metricsLogGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams')
  }
}
