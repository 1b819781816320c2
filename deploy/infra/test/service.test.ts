import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { DIGEST, NGINX_DIGEST, synth } from './helper.ts'

const { serviceTemplate: template } = synth()

interface Container { Name: string, Image: unknown, PortMappings?: unknown[], Environment?: Array<{ Name: string, Value: unknown }>, Secrets?: Array<{ Name: string, ValueFrom: unknown }>, HealthCheck?: { Command: string[] }, StopTimeout?: number, LinuxParameters?: { InitProcessEnabled: boolean }, DependsOn?: unknown[], LogConfiguration?: { LogDriver: string, Options: Record<string, unknown> }, Command?: string[] }

function taskDefinition (family: string) {
  const [definition] = Object.values(template.findResources('AWS::ECS::TaskDefinition', { Properties: { Family: family } })) as Array<{ Properties: { ContainerDefinitions: Container[], Cpu: string, Memory: string } }>
  return definition.Properties
}
const task = taskDefinition('ecs-microservice-dev')
const container = (name: string) => task.ContainerDefinitions.find((c) => c.Name === name) as Container
const env = (c: Container) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]))

t.test('a cluster with Container Insights', async (t) => {
  template.hasResourceProperties('AWS::ECS::Cluster', { ClusterName: 'ecs-microservice-dev', ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] })
  t.pass()
})

t.test('the app container is reachable only from nginx: it listens on the task\'s localhost, with no port mapping', async (t) => {
  t.notOk(container('app').PortMappings?.length, 'no port mapping for the app')
  t.equal(env(container('app')).HOST, '127.0.0.1')
  t.same(container('nginx').PortMappings, [{ ContainerPort: 80, Name: 'http', Protocol: 'tcp' }], 'nginx is the one port of the task')
  t.equal(env(container('nginx')).APP_UPSTREAM, '127.0.0.1:3000')
})

t.test('both images are referenced by digest', async (t) => {
  t.match(JSON.stringify(container('app').Image), `ecs-microservices/app@${DIGEST}`)
  t.match(JSON.stringify(container('nginx').Image), `ecs-microservices/nginx@${NGINX_DIGEST}`)
})

t.test('secrets come from Secrets Manager by reference; no password in the plain environment', async (t) => {
  const app = container('app')
  t.same(app.Secrets?.map((s) => s.Name).sort(), ['DB_PASSWORD', 'DB_USER', 'REDIS_PASSWORD'])
  for (const secret of app.Secrets ?? []) t.match(JSON.stringify(secret.ValueFrom), /Ref|arn:/, `${secret.Name} by reference`)
  t.notOk(Object.keys(env(app)).some((name) => /PASSWORD|TOKEN|SECRET/.test(name)), 'nothing secret in the environment')
  t.match(env(app), { DB_SSL: 'verify-full', DB_SSL_CA: '/app/certs/rds-global-bundle.pem', REDIS_TLS: 'true', DB_MIGRATE_ON_START: 'false', NODE_ENV: 'production' })
})

t.test('health checks from the images\' own scripts, stopTimeout 30 s, an init process, awslogs with a retention', async (t) => {
  t.same(container('app').HealthCheck?.Command, ['CMD', 'node', 'dist/scripts/healthcheck.js'])
  t.match(container('nginx').HealthCheck?.Command.join(' '), '/nginx-health')
  for (const name of ['app', 'nginx']) {
    t.equal(container(name).StopTimeout, 30, `${name}: stopTimeout`)
    t.equal(container(name).LinuxParameters?.InitProcessEnabled, true, `${name}: initProcessEnabled`)
    t.equal(container(name).LogConfiguration?.LogDriver, 'awslogs', `${name}: awslogs`)
    t.equal(container(name).LogConfiguration?.Options.mode, 'non-blocking')
  }
  t.same(container('nginx').DependsOn, [{ ContainerName: 'app', Condition: 'HEALTHY' }], 'nginx starts once the app is healthy')
  template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/ecs/ecs-microservice-dev/app', RetentionInDays: 14 })
})

t.test('CPU and memory are settings', async (t) => {
  t.equal(task.Cpu, '512')
  t.equal(task.Memory, '1024')
  const { serviceTemplate } = synth({ taskCpu: '1024', taskMemoryMiB: '2048' })
  serviceTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', { Family: 'ecs-microservice-dev', Cpu: '1024', Memory: '2048' })
})

t.test('the service: in private subnets, circuit breaker with rollback, ECS Exec', async (t) => {
  template.hasResourceProperties('AWS::ECS::Service', {
    ServiceName: 'ecs-microservice',
    LaunchType: 'FARGATE',
    EnableExecuteCommand: true,
    DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100 }),
    NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) }
  })
  t.pass()
})

t.test('the task count is the scaler\'s: no DesiredCount in the template (an update keeps a scaled-out count), at least minTasks', async (t) => {
  for (const stage of ['dev', 'prod']) {
    const { serviceTemplate } = synth({ stage, minTasks: '3', maxTasks: '6' })
    serviceTemplate.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'ecs-microservice', DesiredCount: Match.absent() })
    serviceTemplate.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 6, ScalableDimension: 'ecs:service:DesiredCount' })
  }
  t.pass()
})

t.test('scaling: target tracking on CPU and on requests per target, between the min and max tasks', async (t) => {
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4 })
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 60 })
  })
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }), TargetValue: 1000 })
  })
  t.pass()
})

t.test('the migration task: the app image, the migrate script, the same settings, run once before a deploy', async (t) => {
  const migration = taskDefinition('ecs-microservice-dev-migrate')
  const [migrate] = migration.ContainerDefinitions
  t.same(migrate.Command, ['node', 'dist/scripts/migrate.js'])
  t.match(JSON.stringify(migrate.Image), `ecs-microservices/app@${DIGEST}`)
  t.match(env(migrate), { DB_SSL: 'verify-full', NODE_ENV: 'production', DB_MIGRATION_TIMEOUT_MS: '900000' })
  t.same(migrate.Secrets?.map((s) => s.Name).sort(), ['DB_PASSWORD', 'DB_USER', 'REDIS_PASSWORD'])
  for (const output of ['MigrationTaskDefinitionArn', 'MigrationSubnets', 'MigrationSecurityGroup', 'ServiceUrl', 'ClusterName', 'ServiceName']) template.hasOutput(output, {})
})

t.test('paused (the first deploy, before the migrations have run): no task, and scaling does not add one', async (t) => {
  const { serviceTemplate } = synth({ paused: 'true' })
  serviceTemplate.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0 })
  serviceTemplate.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 0 })
  t.pass()
})

t.test('prod\'s named log groups are kept when the stack goes, not when their first create fails (a retry would clash); dev\'s go with it', async (t) => {
  const prod = synth({ stage: 'prod' })
  const groups = [prod.serviceTemplate, prod.dataTemplate].flatMap((template) => Object.values(template.findResources('AWS::Logs::LogGroup'))) as Array<{ DeletionPolicy: string, UpdateReplacePolicy: string }>
  t.equal(groups.length, 5, 'app, nginx, collector, metrics; the data stack\'s flow logs')
  t.ok(groups.every((g) => g.DeletionPolicy === 'RetainExceptOnCreate' && g.UpdateReplacePolicy === 'Retain'), 'RetainExceptOnCreate, Retain on replacement')
  t.ok((Object.values(template.findResources('AWS::Logs::LogGroup')) as Array<{ DeletionPolicy: string }>).every((g) => g.DeletionPolicy === 'Delete'), 'dev: deleted')
})
