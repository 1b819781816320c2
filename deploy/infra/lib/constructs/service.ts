import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as ecr from 'aws-cdk-lib/aws-ecr'
import * as ecs from 'aws-cdk-lib/aws-ecs'
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2'
import type * as rds from 'aws-cdk-lib/aws-rds'
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as logs from 'aws-cdk-lib/aws-logs'
import { Construct } from 'constructs'
import type { Settings } from '../settings.ts'
import type { Names } from '../names.ts'
import { NGINX_PORT, POSTGRES_PORT, REDIS_PORT } from './network.ts'
import { DATABASE_NAME } from './database.ts'
import { Collector, collectorEnvironment } from './collector.ts'

/** Where the app image keeps the RDS CA bundle (certs/README.md at the repository's root). */
export const RDS_CA_BUNDLE = '/app/certs/rds-global-bundle.pem'
export const APP_PORT = 3000
// ECS stops a container with SIGTERM and kills it this long after; the app drains within it.
export const STOP_TIMEOUT = Duration.seconds(30)

// The images' own health checks (scripts/healthcheck.ts in the app; nginx answers /nginx-health).
export const APP_HEALTH_CHECK = ['CMD', 'node', 'dist/scripts/healthcheck.js']
export const NGINX_HEALTH_CHECK = ['CMD', 'bash', '-c', "exec 3<>/dev/tcp/127.0.0.1/80 && printf 'GET /nginx-health HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q healthy <&3"]

export interface ServiceProps extends Pick<Settings, 'serviceName' | 'stage' | 'logRetentionDays' | 'appImageDigest' | 'nginxImageDigest' | 'taskCpu' | 'taskMemoryMiB' | 'paused' | 'migrationTimeoutMinutes' | 'traceSampleRatio' | 'collectorImage'> {
  /** The cluster's, service's, families', roles' and repositories' names (names.ts). */
  readonly names: Names
  /** Target tracking on CPU and on requests per target, between minTasks and maxTasks. */
  readonly scaling: Pick<Settings, 'minTasks' | 'maxTasks' | 'cpuTargetPercent' | 'requestsPerTarget'>
  /** Its private subnets hold the tasks; nginx believes X-Forwarded-For from its CIDR (the ALB). */
  readonly vpc: ec2.IVpc
  readonly securityGroup: ec2.ISecurityGroup
  /** The RDS instance (its endpoint, and the generated secret of its credentials). */
  readonly database: rds.DatabaseInstance
  /** The Redis primary endpoint's address, and the AUTH token's secret. */
  readonly cache: { readonly host: string, readonly authToken: secretsmanager.ISecret }
  /** The load balancer's target group, which the service registers nginx in and scales on. */
  readonly targetGroup: elbv2.ApplicationTargetGroup
}

/**
 * The ECS cluster (Container Insights) and the Fargate service of the two-container task:
 * nginx in front (the load balancer's target), the app on the task's localhost only, no port
 * mapping. Images by digest; secrets from Secrets Manager; awslogs with a retention; circuit
 * breaker with rollback; ECS Exec; registered in the load balancer's target group and scaled on
 * CPU and on its requests. Also the one-off migration task definition.
 */
export class Service extends Construct {
  readonly cluster: ecs.Cluster
  readonly service: ecs.FargateService
  readonly taskDefinition: ecs.FargateTaskDefinition
  readonly migrationTask: ecs.FargateTaskDefinition
  readonly collector: Collector
  /** Environment variables the app container is given: checked against config/schema.ts. */
  readonly appEnvironment: Record<string, string>
  readonly nginxEnvironment: Record<string, string>

  constructor (scope: Construct, id: string, props: ServiceProps) {
    super(scope, id)
    const { names: n, database, cache } = props
    // prod's logs outlive the stack, but not a failed first create (RetainExceptOnCreate): a
    // retried create would find a retained log group of the same name and fail.
    const retain = props.stage === 'prod' ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: n.cluster,
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED
    })

    const logGroup = (id: string, name: string) => new logs.LogGroup(this, id, {
      logGroupName: `/ecs/${n.cluster}/${name}`,
      retention: props.logRetentionDays,
      removalPolicy: retain
    })
    const appLogs = logGroup('AppLogs', 'app')
    const nginxLogs = logGroup('NginxLogs', 'nginx')
    const logging = (group: logs.LogGroup, prefix: string) => ecs.LogDrivers.awsLogs({
      logGroup: group,
      streamPrefix: prefix,
      // A slow CloudWatch never blocks the app's stdout: lines are buffered, then dropped.
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      maxBufferSize: Size.mebibytes(4)
    })

    const appImage = ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(this, 'AppRepository', n.appRepository), props.appImageDigest)
    const nginxImage = ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(this, 'NginxRepository', n.nginxRepository), props.nginxImageDigest)
    const dbSecret = database.secret!

    this.appEnvironment = {
      NODE_ENV: 'production',
      SERVICE_NAME: props.serviceName,
      HOST: '127.0.0.1',
      PORT: String(APP_PORT),
      LOG_LEVEL: 'info',
      DB_HOST: database.dbInstanceEndpointAddress,
      DB_PORT: String(POSTGRES_PORT),
      DB_NAME: DATABASE_NAME,
      DB_SSL: 'verify-full',
      DB_SSL_CA: RDS_CA_BUNDLE,
      // The migration task runs them before a deploy (npm run deploy).
      DB_MIGRATE_ON_START: 'false',
      REDIS_HOST: cache.host,
      REDIS_PORT: String(REDIS_PORT),
      REDIS_TLS: 'true',
      // nginx in the same task is the only peer.
      TRUST_PROXY: '127.0.0.1',
      // OpenTelemetry to the collector sidecar (constructs/collector.ts).
      ...collectorEnvironment(props)
    }
    const appSecrets = {
      DB_USER: ecs.Secret.fromSecretsManager(dbSecret, 'username'),
      DB_PASSWORD: ecs.Secret.fromSecretsManager(dbSecret, 'password'),
      REDIS_PASSWORD: ecs.Secret.fromSecretsManager(cache.authToken)
    }
    this.nginxEnvironment = {
      APP_UPSTREAM: `127.0.0.1:${APP_PORT}`,
      NGINX_PORT: String(NGINX_PORT),
      // X-Forwarded-For is believed from the ALB, which sits in this VPC.
      NGINX_TRUSTED_PROXIES: props.vpc.vpcCidrBlock
    }

    const role = (id: string, name: string, principal: string) => new iam.Role(this, id, {
      roleName: `${n.rolePrefix}${name}`,
      assumedBy: new iam.ServicePrincipal(principal)
    })
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: n.serviceFamily,
      cpu: props.taskCpu,
      memoryLimitMiB: props.taskMemoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: role('TaskRole', 'task', 'ecs-tasks.amazonaws.com'),
      executionRole: role('ExecutionRole', 'execution', 'ecs-tasks.amazonaws.com')
    })
    const app = this.taskDefinition.addContainer('app', {
      containerName: 'app',
      image: appImage,
      essential: true,
      environment: this.appEnvironment,
      secrets: appSecrets,
      // No port mapping: the app listens on the task's localhost, reached only by nginx.
      healthCheck: { command: APP_HEALTH_CHECK, interval: Duration.seconds(10), timeout: Duration.seconds(3), retries: 3, startPeriod: Duration.seconds(15) },
      stopTimeout: STOP_TIMEOUT,
      linuxParameters: new ecs.LinuxParameters(this, 'AppLinux', { initProcessEnabled: true }),
      logging: logging(appLogs, 'app')
    })
    const nginx = this.taskDefinition.addContainer('nginx', {
      containerName: 'nginx',
      image: nginxImage,
      essential: true,
      environment: this.nginxEnvironment,
      portMappings: [{ containerPort: NGINX_PORT, protocol: ecs.Protocol.TCP, name: 'http' }],
      healthCheck: { command: NGINX_HEALTH_CHECK, interval: Duration.seconds(10), timeout: Duration.seconds(3), retries: 3, startPeriod: Duration.seconds(5) },
      stopTimeout: STOP_TIMEOUT,
      linuxParameters: new ecs.LinuxParameters(this, 'NginxLinux', { initProcessEnabled: true }),
      logging: logging(nginxLogs, 'nginx')
    })
    nginx.addContainerDependencies({ container: app, condition: ecs.ContainerDependencyCondition.HEALTHY })
    // The collector starts first, so the app's first exports find it; ECS stops the app first,
    // so its last spans reach it.
    this.collector = new Collector(this, 'Collector', {
      serviceName: props.serviceName,
      stage: props.stage,
      logGroupPrefix: `/ecs/${n.cluster}`,
      logRetentionDays: props.logRetentionDays,
      image: props.collectorImage,
      taskDefinition: this.taskDefinition,
      logging
    })
    app.addContainerDependencies({ container: this.collector.container, condition: ecs.ContainerDependencyCondition.START })

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: n.service,
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // The count is the scaler's (minTasks to maxTasks, below): with none in the
      // template, a stack update keeps the running count (AWS::ECS::Service DesiredCount) instead
      // of resetting a scaled-out service to minTasks; registering the scalable target brings a
      // new service (ECS starts it with 1) up to minTasks (RegisterScalableTarget). Paused: 0.
      desiredCount: props.paused ? 0 : undefined,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      // Spread over the two zones; a failed deployment rolls back by itself.
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      enableExecuteCommand: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE
    })

    // nginx is the load balancer's target; the tasks scale on CPU and on requests per target.
    props.targetGroup.addTarget(this.service.loadBalancerTarget({ containerName: 'nginx', containerPort: NGINX_PORT }))
    const { scaling } = props
    const taskCount = this.service.autoScaleTaskCount({ minCapacity: props.paused ? 0 : scaling.minTasks, maxCapacity: props.paused ? 0 : scaling.maxTasks })
    taskCount.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: scaling.cpuTargetPercent, scaleInCooldown: Duration.seconds(120), scaleOutCooldown: Duration.seconds(60) })
    taskCount.scaleOnRequestCount('Requests', { targetGroup: props.targetGroup, requestsPerTarget: scaling.requestsPerTarget, scaleInCooldown: Duration.seconds(120), scaleOutCooldown: Duration.seconds(60) })

    // The one-off migration task: the app image, `npm run migrate`'s script, the same settings.
    this.migrationTask = new ecs.FargateTaskDefinition(this, 'MigrationTask', {
      family: n.migrationFamily,
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: role('MigrationTaskRole', 'migrate-task', 'ecs-tasks.amazonaws.com'),
      executionRole: role('MigrationExecutionRole', 'migrate-execution', 'ecs-tasks.amazonaws.com')
    })
    // No collector in the migration task, and the migrate script loads no telemetry.
    const { HOST: _host, PORT: _port, TRUST_PROXY: _proxy, DB_MIGRATE_ON_START: _migrate, ...rest } = this.appEnvironment
    const migrationEnvironment = {
      ...Object.fromEntries(Object.entries(rest).filter(([name]) => !name.startsWith('OTEL_'))),
      // The migration's bound, which deploy/ci/migrate.sh also reads to know how long to wait.
      DB_MIGRATION_TIMEOUT_MS: String(props.migrationTimeoutMinutes * 60_000)
    }
    this.migrationTask.addContainer('migrate', {
      containerName: 'migrate',
      image: appImage,
      essential: true,
      command: ['node', 'dist/scripts/migrate.js'],
      environment: migrationEnvironment,
      secrets: appSecrets,
      logging: logging(appLogs, 'migrate')
    })

    const wildcard = 'AwsSolutions::AwsSolutions-IAM5[Resource::*]'
    for (const definition of [this.taskDefinition, this.migrationTask]) {
      Validations.of(definition).acknowledge({ id: 'AwsSolutions::AwsSolutions-ECS2', reason: 'Plain environment variables hold settings only (hosts, ports, modes, the collector\'s configuration); every password and token comes from Secrets Manager (secrets).' })
      Validations.of(definition.obtainExecutionRole()).acknowledge({ id: wildcard, reason: 'Pulling images: ecr:GetAuthorizationToken is account-wide by design; the pulls themselves are scoped to the repositories, the logs to the task\'s log groups.' })
    }
    // With @aws-cdk/aws-ecs:reduceEc2FargateCloudWatchPermissions (cdk.json) ECS Exec adds no logs:* on "*".
    Validations.of(this.taskDefinition.taskRole).acknowledge({ id: wildcard, reason: 'Actions that take no resource: ECS Exec\'s ssmmessages:CreateControlChannel, ssmmessages:CreateDataChannel, ssmmessages:OpenControlChannel and ssmmessages:OpenDataChannel, and the collector\'s xray:PutTraceSegments and xray:PutTelemetryRecords.' })
  }
}
