// Every AWS API call of the deploy workflow and of the tasks, evaluated against the policies the
// stacks create by an IAM policy simulator (@cloud-copilot/iam-simulate: identity and resource
// policies, conditions, explicit and implicit denies), not by reading the policies' text. The
// calls of the repository's scripts are recorded, not written here: .ci/checks/45-aws-cli.sh runs
// the scripts with the real AWS CLI against a loopback endpoint and keeps what reached it in
// fixtures/aws-calls.json (and fails when they change). Written here by hand, because they are
// made by code that is not ours: the GitHub actions' calls (ECR login, the ECS deploy), docker's
// push and pull against ECR, ECS's own calls with the execution role, the collector's and ECS
// Exec's with the task role (those read from the task definitions), and CloudWatch's publish to
// the alarm topic.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { ACCOUNT, REGION, Resolver, STACK_UUID, type TemplateJson } from './cfn.ts'
import { synth } from './helper.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const { accountTemplate, registryTemplate, dataTemplate, serviceTemplate } = synth({ stage: 'prod', alarmEmail: 'ops@example.com' })
const cfn = new Resolver([accountTemplate, registryTemplate, dataTemplate, serviceTemplate].map((template) => template.toJSON() as TemplateJson))
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`

interface Call { service: string, region: string, operation: string, parameters: Record<string, unknown> }
interface Request { action: string, resource: string, context?: Record<string, string | string[]> }
const PASS_TO_ECS = { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }

/** The IAM authorization of one recorded API call: its action(s) on the resource(s) it names. */
function authorizations ({ service, operation, parameters: p }: Call): Request[] {
  const action = `${service}:${operation}`
  switch (action) {
    // GetCallerIdentity needs no permission (STS API reference: "No permissions are required").
    case 'sts:GetCallerIdentity': return []
    case 'ecr:GetAuthorizationToken':
    case 'ecs:DescribeTaskDefinition':
      return [{ action, resource: '*' }]
    case 'ecr:DescribeImages': return [{ action, resource: arn('ecr', `repository/${p.repositoryName}`) }]
    case 'ecs:RegisterTaskDefinition':
      return [{ action, resource: '*' }, ...[p.taskRoleArn, p.executionRoleArn].filter(Boolean).map((role) => ({ action: 'iam:PassRole', resource: String(role), context: PASS_TO_ECS }))]
    case 'cloudformation:DescribeStacks': return [{ action, resource: arn('cloudformation', `stack/${p.StackName}/0d4a2c60-0000-0000-0000-000000000000`) }]
    case 'ecs:RunTask': return [{ action, resource: String(p.taskDefinition), context: { 'ecs:cluster': arn('ecs', `cluster/${p.cluster}`) } }]
    case 'ecs:StopTask': return [{ action, resource: String(p.task).startsWith('arn:') ? String(p.task) : arn('ecs', `task/${p.cluster}/${p.task}`) }]
    case 'logs:GetLogEvents': return [{ action, resource: arn('logs', `log-group:${p.logGroupName}:log-stream:${p.logStreamName}`) }]
    case 'ecs:DescribeTasks':
      return (p.tasks as string[]).map((task) => ({ action, resource: task.startsWith('arn:') ? task : arn('ecs', `task/${p.cluster}/${task}`) }))
    case 'ecs:DescribeServices':
      return (p.services as string[]).map((name) => ({ action, resource: arn('ecs', `service/${p.cluster}/${name}`) }))
    case 'cloudformation:UpdateTerminationProtection': return [{ action, resource: arn('cloudformation', `stack/${p.StackName}/0d4a2c60-0000-0000-0000-000000000000`) }]
    case 'ecs:UpdateService': return [{ action, resource: arn('ecs', `service/${p.cluster}/${p.service}`), context: { 'ecs:cluster': arn('ecs', `cluster/${p.cluster}`) } }]
    default: throw new Error(`${action}: a call this test does not know how to authorize; add it to authorizations()`)
  }
}

async function decide (principal: string, identityPolicies: Array<{ name: string, policy: unknown }>, request: Request, resourcePolicy?: unknown) {
  const response = await runSimulation({
    request: { principal, action: request.action, resource: { resource: request.resource, accountId: ACCOUNT }, contextVariables: { 'aws:SecureTransport': 'true', ...request.context } },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy
  }, {})
  if (response.resultType === 'error') return `error: ${JSON.stringify(response.errors)}`
  return response.overallResult
}

// ---- the deploy role: the workflow's calls ----
const deployRole = cfn.find('AWS::IAM::Role', (p) => p.RoleName === 'ecs-microservice-prod-github-deploy')
const session = `arn:aws:sts::${ACCOUNT}:assumed-role/ecs-microservice-prod-github-deploy/deploy-1`
const recorded = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'aws-calls.json'), 'utf8')) as Array<{ script: string, calls: Call[] }>
const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'deploy.yml'), 'utf8')) as { jobs: { deploy: { steps: Array<{ run?: string }> } } }
// The scripts the deploy job runs (npm run push is deploy/ecr/push.sh, with --registry there).
const runs = workflow.jobs.deploy.steps.flatMap((s) => s.run ? [s.run] : [])
const scriptOf = (label: string) => label.split(/[ :]/)[0]
const ofWorkflow = recorded.filter(({ script }) => {
  const name = scriptOf(script)
  if (name === 'push.sh') return runs.some((r) => r.startsWith('npm run push') && r.includes('--registry')) && script.includes('--registry')
  return runs.some((r) => r.includes(`deploy/ci/${name}`))
})

const serviceTask = cfn.value(serviceTemplate.toJSON().Resources[cfn.find('AWS::ECS::TaskDefinition', (p) => p.Family === 'ecs-microservice-prod')].Properties) as Record<string, string>
const repositories = ['ecs-microservices/app', 'ecs-microservices/nginx'].map((name) => arn('ecr', `repository/${name}`))
// By hand (not our code): amazon-ecr-login; docker push of both images (ECR's push permissions);
// amazon-ecs-deploy-task-definition: register with the service's roles, update, wait for stable.
const actionCalls: Array<[string, Request[]]> = [
  ['aws-actions/amazon-ecr-login', [{ action: 'ecr:GetAuthorizationToken', resource: '*' }]],
  ['docker push (both images)', repositories.flatMap((resource) => ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage']
    .map((action) => ({ action, resource })))],
  ['aws-actions/amazon-ecs-deploy-task-definition', [
    { action: 'ecs:RegisterTaskDefinition', resource: '*' },
    { action: 'iam:PassRole', resource: serviceTask.TaskRoleArn, context: PASS_TO_ECS },
    { action: 'iam:PassRole', resource: serviceTask.ExecutionRoleArn, context: PASS_TO_ECS },
    { action: 'ecs:UpdateService', resource: arn('ecs', 'service/ecs-microservice-prod/ecs-microservice') },
    { action: 'ecs:DescribeServices', resource: arn('ecs', 'service/ecs-microservice-prod/ecs-microservice') }
  ]]
]

t.test('the recorded calls are those of the scripts the deploy workflow runs', async (t) => {
  t.same([...new Set(ofWorkflow.map((s) => scriptOf(s.script)))].sort(), ['migrate.sh', 'push.sh', 'resolve-images.sh', 'rollback.sh', 'task-definition.sh'])
  const actions = new Set(ofWorkflow.flatMap((s) => s.calls.map((c) => `${c.service}:${c.operation}`)))
  for (const action of ['logs:GetLogEvents', 'ecs:StopTask']) t.ok(actions.has(action), `${action}: a failure rehearsal made it`)
  t.ok(ofWorkflow.every((s) => s.calls.every((c) => c.region === REGION)), 'each in the region of the stacks')
})

t.test('the deploy role may make every call of the deploy workflow: its scripts\' (recorded) and its actions\'', async (t) => {
  const policies = cfn.rolePolicies(deployRole)
  const all: Array<[string, Request]> = [
    ...ofWorkflow.flatMap(({ script, calls }) => calls.flatMap((call) => authorizations(call).map((r) => [script, r] as [string, Request]))),
    ...actionCalls.flatMap(([who, requests]) => requests.map((r) => [who, r] as [string, Request]))
  ]
  t.ok(all.some(([, r]) => r.action === 'ecr:DescribeImages'), 'a rollback looks the images up by tag')
  for (const [who, request] of all) {
    t.equal(await decide(session, policies, request), 'Allowed', `${who}: ${request.action} on ${request.resource}`)
  }
})

t.test('the deploy role may not run the service\'s task definition or pass a role of another service', async (t) => {
  const policies = cfn.rolePolicies(deployRole)
  t.equal(await decide(session, policies, { action: 'ecs:RunTask', resource: arn('ecs', 'task-definition/ecs-microservice-prod:7') }), 'ImplicitlyDenied')
  t.equal(await decide(session, policies, { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/other-service-task`, context: PASS_TO_ECS }), 'ImplicitlyDenied')
  t.equal(await decide(session, policies, { action: 'iam:PassRole', resource: serviceTask.TaskRoleArn, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }), 'ImplicitlyDenied')
})

// ---- the task definitions' roles: what ECS and the containers call ----
interface Container { Name: string, Image: string, LogConfiguration?: { Options: Record<string, string> }, Secrets?: Array<{ ValueFrom: string }>, Environment?: Array<{ Name: string, Value: string }> }
const taskDefinitions = ['ecs-microservice-prod', 'ecs-microservice-prod-migrate'].map((family) =>
  cfn.value(serviceTemplate.toJSON().Resources[cfn.find('AWS::ECS::TaskDefinition', (p) => p.Family === family)].Properties) as { Family: string, TaskRoleArn: string, ExecutionRoleArn: string, ContainerDefinitions: Container[] })
const roleOf = (roleArn: string) => cfn.find('AWS::IAM::Role', (p) => `arn:aws:iam::${ACCOUNT}:role/${p.RoleName}` === roleArn)
const roleSession = (roleArn: string) => roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + '/task'

t.test('each execution role may pull its images, write its containers\' logs and read their secrets (what ECS does to start a task)', async (t) => {
  for (const definition of taskDefinitions) {
    const requests: Request[] = definition.ContainerDefinitions.flatMap((c) => {
      const ecr = /^\d{12}\.dkr\.ecr\.[^/]+\/([^@:]+)/.exec(c.Image)
      const group = c.LogConfiguration?.Options['awslogs-group']
      return [
        ...(ecr ? [{ action: 'ecr:GetAuthorizationToken', resource: '*' }, ...['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'].map((action) => ({ action, resource: arn('ecr', `repository/${ecr[1]}`) }))] : []),
        ...(group ? ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: arn('logs', `log-group:${group}:log-stream:${c.LogConfiguration!.Options['awslogs-stream-prefix']}/${c.Name}/0123456789abcdef`) })) : []),
        // ValueFrom: the secret's ARN, then :json-key:version-stage:version-id
        ...(c.Secrets ?? []).map((s) => ({ action: 'secretsmanager:GetSecretValue', resource: s.ValueFrom.split(':').slice(0, 7).join(':') }))
      ]
    })
    t.ok(requests.some((r) => r.action === 'secretsmanager:GetSecretValue'), `${definition.Family}: has secrets to read`)
    const policies = cfn.rolePolicies(roleOf(definition.ExecutionRoleArn))
    for (const request of requests) t.equal(await decide(roleSession(definition.ExecutionRoleArn), policies, request), 'Allowed', `${definition.Family} execution role: ${request.action} on ${request.resource}`)
  }
})

t.test('the service\'s task role may send traces and EMF metrics (the collector) and open ECS Exec\'s channels', async (t) => {
  const [service] = taskDefinitions
  const otel = service.ContainerDefinitions.find((c) => c.Name === 'otel')!
  const emfGroup = otel.Environment!.find((e) => e.Name === 'EMF_LOG_GROUP')!.Value
  const config = parse(otel.Environment!.find((e) => e.Name === 'AOT_CONFIG_CONTENT')!.Value) as { exporters: Record<string, unknown> }
  const requests: Request[] = [
    ...('awsxray' in config.exporters ? ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].map((action) => ({ action, resource: '*' })) : []),
    ...('awsemf' in config.exporters ? ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'].map((action) => ({ action, resource: arn('logs', `log-group:${emfGroup}:log-stream:otel-stream-0`) })) : []),
    // ECS Exec (enableExecuteCommand): the SSM agent's channels (ECS developer guide, "ECS Exec").
    ...['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'].map((action) => ({ action, resource: '*' }))
  ]
  t.equal(requests.length, 9, 'traces, metrics and ECS Exec')
  const policies = cfn.rolePolicies(roleOf(service.TaskRoleArn))
  for (const request of requests) t.equal(await decide(roleSession(service.TaskRoleArn), policies, request), 'Allowed', `task role: ${request.action} on ${request.resource}`)
  t.equal(await decide(roleSession(service.TaskRoleArn), policies, { action: 'logs:PutLogEvents', resource: arn('logs', 'log-group:/ecs/ecs-microservice-prod/app:log-stream:x') }), 'ImplicitlyDenied', 'not into the app\'s own log group')
})

// ---- the alarm topic: CloudWatch publishes each alarm's notifications ----
t.test('CloudWatch may publish every alarm to the topic, over TLS only', async (t) => {
  const topic = cfn.find('AWS::SNS::Topic', () => true)
  const topicArn = cfn.arn(topic)
  const [policy] = Object.values(serviceTemplate.findResources('AWS::SNS::TopicPolicy'))
    .filter((p) => JSON.stringify(p.Properties.Topics).includes(`"${topic}"`))
    .map((p) => cfn.value(p.Properties.PolicyDocument))
  t.ok(policy, 'the topic has a policy')
  const alarms = Object.entries(serviceTemplate.findResources('AWS::CloudWatch::Alarm'))
  t.equal(alarms.length, 13, 'the deployment\'s two alarms too')
  for (const [id, alarm] of alarms) {
    t.same(cfn.value(alarm.Properties.AlarmActions), [topicArn], `${id} notifies the topic`)
    const request = { action: 'sns:Publish', resource: topicArn, context: { 'aws:SourceArn': cfn.arn(id), 'aws:SourceAccount': ACCOUNT } }
    t.equal(await decide('cloudwatch.amazonaws.com', [], request, policy), 'Allowed', `${id}: CloudWatch publishes`)
  }
  const [someAlarm] = alarms[0]
  t.equal(await decide('cloudwatch.amazonaws.com', [], { action: 'sns:Publish', resource: topicArn, context: { 'aws:SourceArn': cfn.arn(someAlarm), 'aws:SourceAccount': ACCOUNT, 'aws:SecureTransport': 'false' } }, policy), 'ExplicitlyDenied', 'not over plain HTTP')
  t.equal(await decide('cloudwatch.amazonaws.com', [], { action: 'sns:Publish', resource: topicArn, context: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:999999999999:alarm:theirs', 'aws:SourceAccount': '999999999999' } }, policy), 'ImplicitlyDenied', 'not for another account\'s alarm (confused deputy)')
})

// ---- the Infrastructure workflow's roles (infra.yml): npm run deploy, and its --diff ----
// Besides the scripts' recorded calls, cdk assumes the CDK bootstrap roles of the account and
// region (cdk deploy: deploy, file- and image-publishing, lookup; cdk diff reads the deployed
// templates through the lookup role, CLI: accessStackForLookupBestEffort).
const bootstrapRole = (kind: string) => `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-${kind}-role-${ACCOUNT}-${REGION}`
t.test('the Infrastructure workflow\'s roles may make every call of npm run deploy (the infrastructure role) and of its --diff (the diff role), and the diff role no deploy', async (t) => {
  const roleCalls = (name: string, scripts: (script: string) => boolean, kinds: string[]) => {
    const role = cfn.find('AWS::IAM::Role', (p) => p.RoleName === name)
    const calls = recorded.filter(({ script }) => scripts(script))
    t.ok(calls.length > 0, `${name}: recorded calls`)
    return {
      policies: cfn.rolePolicies(role),
      session: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/infra-1`,
      requests: [
        ...calls.flatMap(({ script, calls }) => calls.flatMap((call) => authorizations(call).map((r) => [script, r] as [string, Request]))),
        ...kinds.map((kind) => [`cdk (${kind} role)`, { action: 'sts:AssumeRole', resource: bootstrapRole(kind) }] as [string, Request])
      ]
    }
  }
  const infra = roleCalls('ecs-microservice-prod-github-infra', (s) => ['deploy.sh --tag', 'deploy.sh (the images the service runs)', 'deploy.sh: a data stack whose first create failed'].includes(s), ['deploy', 'file-publishing', 'image-publishing', 'lookup'])
  const diff = roleCalls('ecs-microservice-prod-github-diff', (s) => s.startsWith('deploy.sh --diff'), ['lookup'])
  for (const { policies, session, requests } of [infra, diff]) {
    for (const [who, request] of requests) t.equal(await decide(session, policies, request), 'Allowed', `${session.split('/')[1]}: ${who}: ${request.action} on ${request.resource}`)
  }
  for (const kind of ['deploy', 'file-publishing', 'image-publishing']) {
    t.equal(await decide(diff.session, diff.policies, { action: 'sts:AssumeRole', resource: bootstrapRole(kind) }), 'ImplicitlyDenied', `the diff role cannot assume the ${kind} role`)
  }
  t.equal(await decide(diff.session, diff.policies, { action: 'ecs:UpdateService', resource: arn('ecs', 'service/ecs-microservice-prod/ecs-microservice') }), 'ImplicitlyDenied', 'nor update the service')
})

// ---- the access-log bucket: ELB and WAF deliver there, as each one's documentation says ----
t.test('the load balancer and WAF may write their access logs to the bucket, only there, over TLS only, in a region of before August 2022 and a later one', async (t) => {
  const inRegion = (region: string) => new Resolver([accountTemplate, registryTemplate, dataTemplate, serviceTemplate].map((template) => template.toJSON() as TemplateJson), region)
  const bucketId = cfn.find('AWS::S3::Bucket', (p) => String(p.BucketName).startsWith('aws-waf-logs-'))
  const policyOf = (resolver: Resolver) => {
    const [policy] = Object.values(dataTemplate.findResources('AWS::S3::BucketPolicy'))
      .filter((p) => JSON.stringify(p.Properties.Bucket).includes(`"${bucketId}"`))
      .map((p) => resolver.value(p.Properties.PolicyDocument))
    return policy
  }
  const name = cfn.name(bucketId)
  t.match(name, /^aws-waf-logs-[a-z0-9-]+$/, `WAF's required prefix, a valid bucket name (${name})`)
  t.ok(name.length <= 63, 'at most 63 characters')
  t.ok(name.endsWith(STACK_UUID.split('-')[4]), 'ends with a part of the stack id: a stage created again gets a bucket of its own')

  const [lb] = Object.values(serviceTemplate.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))
  const attributes = Object.fromEntries((cfn.value(lb.Properties.LoadBalancerAttributes) as Array<{ Key: string, Value: string }>).map(({ Key, Value }) => [Key, Value]))
  t.match(attributes, { 'access_logs.s3.enabled': 'true', 'access_logs.s3.bucket': name, 'access_logs.s3.prefix': 'alb' }, 'the load balancer logs to the bucket, under alb/')
  const [logging] = Object.values(serviceTemplate.findResources('AWS::WAFv2::LoggingConfiguration')).map((r) => cfn.value(r.Properties) as Record<string, unknown>)
  t.same(logging?.LogDestinationConfigs, [`arn:aws:s3:::${name}`], 'the web ACL logs to the bucket')
  t.equal(logging?.ResourceArn, cfn.arn(cfn.find('AWS::WAFv2::WebACL', () => true)), 'the stage\'s web ACL')

  const albLog = (region: string, account = ACCOUNT) => `arn:aws:s3:::${name}/alb/AWSLogs/${account}/elasticloadbalancing/${region}/2026/12/02/${account}_elasticloadbalancing_${region}_app.x.log.gz`
  // The service principal, in a region of before August 2022 and in a later one (the ELB guide:
  // supported in all regions since 10 September 2025), from the same template.
  for (const region of ['eu-west-1', 'ap-southeast-4']) {
    const policy = policyOf(inRegion(region))
    t.equal(await decide('logdelivery.elasticloadbalancing.amazonaws.com', [], { action: 's3:PutObject', resource: albLog(region) }, policy), 'Allowed', `${region}: logdelivery.elasticloadbalancing.amazonaws.com writes alb/AWSLogs/<account>/`)
    t.equal(await decide('logdelivery.elasticloadbalancing.amazonaws.com', [], { action: 's3:PutObject', resource: albLog(region, '999999999999') }, policy), 'ImplicitlyDenied', `${region}: not another account's logs`)
    t.equal(await decide('logdelivery.elasticloadbalancing.amazonaws.com', [], { action: 's3:PutObject', resource: `arn:aws:s3:::${name}/other/key` }, policy), 'ImplicitlyDenied', `${region}: nowhere else`)
  }
  const euWest1 = policyOf(inRegion('eu-west-1'))
  // The legacy policy's principal, the region's whole ELB account (156460612806 in eu-west-1), is not trusted.
  const elbAccount = [{ name: 'elb', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] } }]
  t.equal(await decide('arn:aws:iam::156460612806:root', elbAccount, { action: 's3:PutObject', resource: albLog('eu-west-1') }, euWest1), 'ImplicitlyDenied', 'not the region\'s ELB account (the legacy policy)')
  t.equal(await decide('logdelivery.elasticloadbalancing.amazonaws.com', [], { action: 's3:PutObject', resource: albLog('eu-west-1'), context: { 'aws:SecureTransport': 'false' } }, euWest1), 'ExplicitlyDenied', 'not over plain HTTP')

  // WAF's log delivery (CloudWatch Logs' vended-log delivery for S3).
  const wafLog = `arn:aws:s3:::${name}/AWSLogs/${ACCOUNT}/WAFLogs/eu-west-1/ecs-microservice-prod/2026/12/02/10/05/${ACCOUNT}_waflogs_eu-west-1_x.log.gz`
  const delivery = { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': `arn:aws:logs:eu-west-1:${ACCOUNT}:delivery-source:waf` }
  t.equal(await decide('delivery.logs.amazonaws.com', [], { action: 's3:PutObject', resource: wafLog, context: { ...delivery, 's3:x-amz-acl': 'bucket-owner-full-control' } }, euWest1), 'Allowed', 'WAF\'s log delivery writes AWSLogs/<account>/')
  t.equal(await decide('delivery.logs.amazonaws.com', [], { action: 's3:GetBucketAcl', resource: `arn:aws:s3:::${name}`, context: delivery }, euWest1), 'Allowed', 'and reads the bucket\'s ACL')
  t.equal(await decide('delivery.logs.amazonaws.com', [], { action: 's3:PutObject', resource: wafLog, context: { 'aws:SourceAccount': '999999999999', 'aws:SourceArn': 'arn:aws:logs:eu-west-1:999999999999:delivery-source:theirs', 's3:x-amz-acl': 'bucket-owner-full-control' } }, euWest1), 'ImplicitlyDenied', 'not for another account\'s delivery (confused deputy)')
  t.equal(await decide('delivery.logs.amazonaws.com', [], { action: 's3:PutObject', resource: wafLog, context: delivery }, euWest1), 'ImplicitlyDenied', 'not without bucket-owner-full-control')
})
