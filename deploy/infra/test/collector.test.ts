// The OpenTelemetry collector sidecar (constructs/collector.ts): where the app's traces and
// metrics go on ECS, with what permissions, and the dashboard's latency by route.
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { COLLECTOR_CONFIG, COLLECTOR_ENDPOINT, ROUTES } from '../lib/constructs/collector.ts'
import { apiRoutes } from '../lib/routes.ts'
import { COLLECTOR_PIN, pinnedCollector } from '../lib/settings.ts'
import { synth } from './helper.ts'

const { serviceTemplate: template } = synth()
const ROOT = join(import.meta.dirname, '..', '..', '..')

interface Container { Name: string, Image: unknown, Essential?: boolean, Environment?: Array<{ Name: string, Value: unknown }>, DependsOn?: Array<{ ContainerName: string, Condition: string }>, HealthCheck?: { Command: string[] } }
const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as Array<{ Properties: { Family: string, ContainerDefinitions: Container[] } }>
const task = definitions.find((d) => d.Properties.Family === 'ecs-microservice-dev')!.Properties
const migration = definitions.find((d) => d.Properties.Family !== 'ecs-microservice-dev')!.Properties
const container = (name: string) => task.ContainerDefinitions.find((c) => c.Name === name)!
const env = (c: Container) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]))

t.test('the ADOT collector is a sidecar that is not essential, and the app starts after it', async (t) => {
  const otel = container('otel')
  t.equal(otel.Essential, false, 'not essential: a collector that stops takes no request with it')
  t.equal(otel.Image, pinnedCollector().image, 'the AWS Distro for OpenTelemetry of deploy/otel/Dockerfile')
  t.same(otel.HealthCheck?.Command, ['CMD', '/healthcheck'])
  t.same(container('app').DependsOn?.filter((d) => d.ContainerName === 'otel'), [{ ContainerName: 'otel', Condition: 'START' }])
  t.equal(env(otel).AOT_CONFIG_CONTENT, readFileSync(COLLECTOR_CONFIG, 'utf8'), 'configured by deploy/otel/collector-ecs.yaml')
})

t.test('the app exports to it on the task\'s localhost, sampled, with only standard OTEL_* variables', async (t) => {
  const app = env(container('app'))
  t.match(app, { OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR_ENDPOINT, OTEL_SERVICE_NAME: 'ecs-microservice', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })
  t.notOk(Object.keys(env(migration.ContainerDefinitions[0])).some((name) => name.startsWith('OTEL_')), 'the migration task has no collector and exports nothing')
})

t.test('the collector sends traces to X-Ray and metrics to CloudWatch (EMF), through the OTLP/HTTP receiver on localhost', async (t) => {
  const config = parse(readFileSync(COLLECTOR_CONFIG, 'utf8'))
  t.equal(config.receivers.otlp.protocols.http.endpoint, new URL(COLLECTOR_ENDPOINT).host, 'listens where the app sends')
  t.same(config.service.pipelines.traces.exporters, ['awsxray'])
  t.same(config.service.pipelines.metrics.exporters, ['awsemf'])
  for (const [name, pipeline] of Object.entries(config.service.pipelines) as Array<[string, { receivers: string[], processors: string[], exporters: string[] }]>) {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const component of pipeline[kind]) t.ok(config[kind][component] !== undefined, `${name}: ${component} is defined`)
    }
    t.equal(pipeline.processors[0], 'memory_limiter', `${name}: memory limited first`)
  }
  const declarations = config.exporters.awsemf.metric_declarations as Array<{ dimensions: string[][], metric_name_selectors: string[] }>
  const latency = declarations.find((d) => d.metric_name_selectors.some((s) => new RegExp(s).test('http.server.request.duration')))
  t.same(latency?.dimensions, [['service.name', 'http.route', 'http.request.method']], 'latency by route and method')
})

t.test('the task role may write traces to X-Ray and metrics to its own log group, nothing more', async (t) => {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[], Resource: unknown }> }, Roles: unknown[] } }>
  const statements = policies.filter((p) => JSON.stringify(p.Properties.Roles).includes('TaskRole') && !JSON.stringify(p.Properties.Roles).includes('Migration')).flatMap((p) => p.Properties.PolicyDocument.Statement)
  const xray = statements.flatMap((s) => [s.Action].flat()).filter((action) => action.startsWith('xray:'))
  t.same(xray.sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'])
  const logs = statements.find((s) => JSON.stringify(s.Action).includes('logs:PutLogEvents'))
  t.match(JSON.stringify(logs?.Resource), /MetricsLogs/, 'on the metrics log group only')
  t.notOk(statements.some((s) => JSON.stringify(s.Action).includes('logs:CreateLogGroup')), 'no log group of its own making')
})

t.test('the dashboard graphs p50 and p99 latency for every route of the API', async (t) => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown } }>
  const body = JSON.stringify(dashboard.Properties.DashboardBody)
  for (const statistic of ['p50', 'p99']) t.match(body, `${statistic} latency by route`)
  for (const [method, route] of ROUTES) t.match(body, `${method} ${route}`, `${method} ${route}`)
  t.match(body, 'http.server.request.duration')
})

t.test('ROUTES are read from the service\'s route modules: folder prefixes, probes left out', async (t) => {
  for (const route of ['GET /', 'GET /api/users', 'POST /api/users', 'GET /api/users/:id', 'GET /api/info']) t.ok(ROUTES.some((r) => r.join(' ') === route), route)
  t.notOk(ROUTES.some(([, route]) => route.startsWith('/health')), 'no probe')
  const dir = t.testdir({ 'root.ts': "fastify.get('/', {})", api: { 'things.ts': "fastify.get('/things', {})\nfastify.delete(\n  '/things/:id', {})" }, health: { 'index.ts': "fastify.get('/', {})" }, 'notes.md': "fastify.get('/no'" })
  t.same(apiRoutes(dir), [['GET', '/api/things'], ['DELETE', '/api/things/:id'], ['GET', '/']])
})

// A mutable tag of an unsupported release, in code Dependabot cannot read, was the defect: the
// pin is a Dockerfile's FROM line, by version and digest, in a directory Dependabot's docker
// ecosystem watches, and the task pulls the digest.
t.test('the collector image is pinned by digest in deploy/otel/Dockerfile, which Dependabot updates', async (t) => {
  const { image, version } = pinnedCollector()
  t.match(image, /^public\.ecr\.aws\/aws-observability\/aws-otel-collector@sha256:[0-9a-f]{64}$/)
  t.match(version, /^v\d+\.\d+\.\d+$/)
  t.equal(relative(ROOT, COLLECTOR_PIN), 'deploy/otel/Dockerfile')
  const dependabot = parse(readFileSync(join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as { updates: Array<{ 'package-ecosystem': string, directories?: string[], directory?: string }> }
  const docker = dependabot.updates.filter((u) => u['package-ecosystem'] === 'docker').flatMap((u) => u.directories ?? [u.directory])
  t.ok(docker.includes('/deploy/otel'), `Dependabot's docker ecosystem watches /deploy/otel (${docker.join(', ')})`)
  t.throws(() => pinnedCollector('FROM public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3\n'), /no FROM <repository>:v<version>@sha256:<digest> line/, 'a tag alone is refused')
})
