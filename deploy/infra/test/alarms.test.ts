import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { synth } from './helper.ts'

const { serviceTemplate: template } = synth({ alarmEmail: 'ops@example.com' })

t.test('alarms on every signal an operator must act on, each notifying the topic', async (t) => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: { MetricName?: string, Metrics?: Array<{ MetricStat?: { Metric: { MetricName: string } } }>, AlarmActions: unknown[] } }>
  const metrics = alarms.flatMap((a) => a.Properties.MetricName ?? a.Properties.Metrics?.flatMap((m) => m.MetricStat?.Metric.MetricName ?? []) ?? [])
  for (const name of ['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count', 'UnHealthyHostCount', 'TargetResponseTime', 'CPUUtilization', 'MemoryUtilization',
    'FreeStorageSpace', 'DatabaseConnections', 'EngineCPUUtilization', 'Evictions']) {
    t.ok(metrics.includes(name), name)
  }
  t.equal(alarms.length, 13, '11, and the deployment\'s two (below)')
  t.ok(alarms.every((a) => a.Properties.AlarmActions.length === 1), 'every alarm notifies the topic')
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99' })
})

t.test('an e-mail subscription when alarmEmail is set, none otherwise', async (t) => {
  template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' })
  synth().serviceTemplate.resourceCountIs('AWS::SNS::Subscription', 0)
  t.pass()
})

t.test('a dashboard with the same graphs', async (t) => {
  template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ecs-microservice-dev', DashboardBody: Match.anyValue() })
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown } }>
  const body = JSON.stringify(dashboard.Properties.DashboardBody)
  for (const metric of ['HTTPCode_Target_5XX_Count', 'TargetResponseTime', 'UnHealthyHostCount', 'FreeStorageSpace', 'Evictions']) t.match(body, metric)
})

// ECS's circuit breaker catches tasks that do not start or turn healthy; a revision whose tasks
// serve 5xx or slowly is caught by the deployment alarms, and rolled back.
t.test('the ECS deployment rolls back on the target 5xx rate and p99 latency alarms (one-minute data), beside the circuit breaker', async (t) => {
  const names = ['ecs-microservice-dev-deployment-target-5xx', 'ecs-microservice-dev-deployment-p99']
  const ids = names.map((name) => Object.entries(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } })).map(([id]) => id)[0])
  const [service] = Object.values(template.findResources('AWS::ECS::Service')) as Array<{ DependsOn: string[] }>
  for (const id of ids) t.ok(service.DependsOn.includes(id), `the service is created after ${id}`)
  template.hasResourceProperties('AWS::ECS::Service', {
    DeploymentConfiguration: Match.objectLike({
      Alarms: { AlarmNames: names, Enable: true, Rollback: true },
      DeploymentCircuitBreaker: { Enable: true, Rollback: true }
    })
  })
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: names[0],
    Threshold: 1,
    EvaluationPeriods: 3,
    Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'HTTPCode_Target_5XX_Count' }), Period: 60 }) })])
  })
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: names[1], MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Period: 60, Threshold: 1, EvaluationPeriods: 3 })
  t.pass()
})
