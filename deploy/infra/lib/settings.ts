import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

// One typed object per stage, validated once when the app starts (as config/schema.ts does for
// the service). Defaults per stage below; any field can be set with `-c name=value` (flat
// names, listed in docs/operations.md, "Settings"). Constructs take these as props, never process.env.

/**
 * The task sizes Fargate runs (Linux): for each CPU value (units, 1024 = 1 vCPU), the memory
 * values in MiB, from the Amazon ECS developer guide, "Troubleshoot Amazon ECS task definition
 * invalid CPU or memory errors" (task-cpu-memory-error.html). 8 and 16 vCPU need platform 1.4.0.
 */
export const FARGATE_SIZES: Record<number, readonly number[]> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16_384, 1024),
  4096: steps(8192, 30_720, 1024),
  8192: steps(16_384, 61_440, 4096),
  16_384: steps(32_768, 122_880, 8192)
}

function steps (from: number, to: number, by: number): number[] {
  return Array.from({ length: (to - from) / by + 1 }, (_, i) => from + i * by)
}

/** Why Fargate refuses a task of cpu units and memory MiB, or null when it runs one. */
export function fargateSizeError (cpu: number, memory: number): string | null {
  const memories = FARGATE_SIZES[cpu]
  if (!memories) return `Fargate has no task of ${cpu} CPU units (${Object.keys(FARGATE_SIZES).join(', ')})`
  if (memories.includes(memory)) return null
  const fits = Object.entries(FARGATE_SIZES).filter(([, m]) => m.includes(memory)).map(([c]) => c)
  return `Fargate has no task of ${cpu} CPU units with ${memory} MiB: ${cpu} takes ${memories.length > 3 ? `${memories[0]} to ${memories.at(-1)} MiB in steps of ${memories[1] - memories[0]}` : `${memories.join(', ')} MiB`}` +
    (fits.length ? `; ${memory} MiB goes with taskCpu ${fits.join(' or ')}` : '')
}

/** The availability zones the VPC spans (its subnets, the database's and the cache's standby). */
export const ZONES = 2

// A DNS host name of lower-case labels (RFC 1123), at least two of them, no trailing dot.
const HOST_NAME = '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'

const Digest = Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'an image digest, sha256:<64 hex>, as npm run push prints it' })

export const SettingsSchema = Type.Object({
  stage: Type.Union([Type.Literal('dev'), Type.Literal('prod')]),
  serviceName: Type.String({ pattern: '^[a-z][a-z0-9-]{1,30}$' }),
  // GitHub repository (owner/name) and environment allowed to assume the deploy role.
  githubRepository: Type.String({ pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$' }),
  githubEnvironment: Type.String({ minLength: 1 }),
  // The environment whose jobs may deploy the stacks themselves (the Infrastructure workflow's
  // cdk deploy, docs/operations.md, "CI/CD (GitHub Actions)"): a role of its own, which can change anything the stacks hold.
  githubInfraEnvironment: Type.String({ minLength: 1 }),
  // Whether the account has GitHub's OIDC provider (one per account) that the account stack did
  // not create: then the deploy roles trust that one. npm run deploy finds out by itself.
  githubOidcProviderExists: Type.Boolean(),
  // The ECR repositories (npm run push's APP_REPOSITORY and NGINX_REPOSITORY) and the images the
  // service runs, by digest in them.
  appRepository: Type.String({ pattern: '^[a-z0-9][a-z0-9._/-]{1,200}$' }),
  nginxRepository: Type.String({ pattern: '^[a-z0-9][a-z0-9._/-]{1,200}$' }),
  appImageDigest: Digest,
  nginxImageDigest: Digest,

  // NAT gateways of the VPC (lib/constructs/network.ts): one per zone keeps each zone's tasks'
  // way out (ECR, Secrets Manager, CloudWatch) independent of the other zone; fewer saves cost,
  // and a zone without its own sends through another's (and is cut off when that zone fails).
  natGateways: Type.Integer({ minimum: 1, maximum: ZONES, description: `one per zone at most, the VPC spans ${ZONES}` }),

  databaseVersion: Type.Union([Type.Literal('16'), Type.Literal('17')]),
  databaseInstanceType: Type.String({ pattern: '^[a-z0-9]+\\.[a-z0-9]+$' }),
  databaseStorageGb: Type.Integer({ minimum: 20, maximum: 16_384 }),
  databaseMultiAz: Type.Boolean(),
  databaseBackupDays: Type.Integer({ minimum: 1, maximum: 35 }),

  cacheNodeType: Type.String({ pattern: '^cache\\.[a-z0-9]+\\.[a-z0-9]+$' }),
  cacheMultiAz: Type.Boolean(),

  // A pair of FARGATE_SIZES below (checked in loadSettings).
  taskCpu: Type.Union(Object.keys(FARGATE_SIZES).map((n) => Type.Literal(Number(n)))),
  taskMemoryMiB: Type.Integer({ minimum: 512, maximum: 122_880 }),
  minTasks: Type.Integer({ minimum: 2, maximum: 100 }),
  // The migration task's bound (its DB_MIGRATION_TIMEOUT_MS); deploy/ci/migrate.sh waits that long
  // and 10 minutes more for Fargate to start it. Within the deploy job's timeout (deploy.yml).
  migrationTimeoutMinutes: Type.Integer({ minimum: 1, maximum: 30 }),
  // No task runs (desired and minimum 0): the first deploy, before the migrations have run once.
  paused: Type.Boolean(),
  maxTasks: Type.Integer({ minimum: 2, maximum: 100 }),
  cpuTargetPercent: Type.Integer({ minimum: 10, maximum: 90 }),
  requestsPerTarget: Type.Integer({ minimum: 10, maximum: 100_000 }),
  logRetentionDays: Type.Union([1, 3, 5, 7, 14, 30, 60, 90, 180, 365].map((n) => Type.Literal(n))),
  // Days the load balancer's and WAF's access logs are kept in their bucket (the data stack's).
  accessLogRetentionDays: Type.Integer({ minimum: 1, maximum: 3_650 }),

  // The name clients use (ServiceUrl, the smoke test's URL): HTTPS on the load balancer with
  // the ACM certificate of certificateArn, which must cover domainName. Without both, the stage
  // is HTTP only at the load balancer's own DNS name (dev; prod requires both, loadSettings).
  domainName: Type.Optional(Type.String({ pattern: HOST_NAME, description: 'a host name, e.g. api.example.com' })),
  certificateArn: Type.Optional(Type.String({ pattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]+$' })),
  // A Route 53 public hosted zone of domainName's (its id and name), where the stack makes
  // domainName an alias of the load balancer; without one, that record is made elsewhere.
  hostedZoneId: Type.Optional(Type.String({ pattern: '^Z[A-Z0-9]{1,32}$', description: 'a Route 53 hosted zone id, e.g. Z0123456789ABCDEFGHIJ' })),
  hostedZoneName: Type.Optional(Type.String({ pattern: HOST_NAME, description: 'the hosted zone\'s domain, e.g. example.com' })),
  // Requests per 5 minutes from one IP before WAF blocks it (all tasks together).
  wafRateLimit: Type.Integer({ minimum: 10, maximum: 2_000_000_000 }),
  alarmEmail: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' })),

  // The AWS Distro for OpenTelemetry collector image of the task's sidecar (docs/observability.md, "On ECS: the ADOT collector sidecar"),
  // by digest: deploy/otel/Dockerfile's by default.
  collectorImage: Type.String({ pattern: '^[a-z0-9./-]+/aws-otel-collector@sha256:[0-9a-f]{64}$', description: 'repository@sha256:<digest>' }),
  // Share of traces kept (a trace the caller already sampled is always kept).
  traceSampleRatio: Type.Number({ minimum: 0, maximum: 1 })
})

export type Settings = Static<typeof SettingsSchema>

/** deploy/otel/Dockerfile: where the collector's version and digest are pinned, for Dependabot. */
export const COLLECTOR_PIN = join(import.meta.dirname, '..', '..', 'otel', 'Dockerfile')

/**
 * The collector image of COLLECTOR_PIN's FROM line (repository:version@digest), as the task runs
 * it: repository@digest, what ECS pulls whatever the tag now points at.
 */
export function pinnedCollector (dockerfile = readFileSync(COLLECTOR_PIN, 'utf8')): { image: string, version: string } {
  const from = /^FROM\s+(\S+?):(v\d+\.\d+\.\d+)@(sha256:[0-9a-f]{64})\s*$/m.exec(dockerfile)
  if (!from) throw new Error(`${COLLECTOR_PIN}: no FROM <repository>:v<version>@sha256:<digest> line`)
  return { image: `${from[1]}@${from[3]}`, version: from[2] }
}

const COMMON = {
  serviceName: 'ecs-microservice',
  githubEnvironment: 'production',
  githubInfraEnvironment: 'infrastructure',
  githubOidcProviderExists: false,
  appRepository: 'ecs-microservices/app',
  nginxRepository: 'ecs-microservices/nginx',
  databaseVersion: '16',
  cacheNodeType: 'cache.t4g.micro',
  taskCpu: 512,
  taskMemoryMiB: 1024,
  cpuTargetPercent: 60,
  requestsPerTarget: 1_000,
  wafRateLimit: 2_000,
  paused: false,
  migrationTimeoutMinutes: 15,
  collectorImage: pinnedCollector().image,
  traceSampleRatio: 0.1
} as const

/** Defaults of each stage: dev small and cheap to throw away, prod kept safe and redundant. */
export const STAGE_DEFAULTS: Record<'dev' | 'prod', Partial<Settings>> = {
  dev: {
    ...COMMON,
    stage: 'dev',
    natGateways: 1,
    databaseInstanceType: 't4g.micro',
    databaseStorageGb: 20,
    databaseMultiAz: false,
    databaseBackupDays: 1,
    cacheMultiAz: false,
    minTasks: 2,
    maxTasks: 4,
    logRetentionDays: 14,
    accessLogRetentionDays: 30
  },
  prod: {
    ...COMMON,
    stage: 'prod',
    natGateways: ZONES,
    databaseInstanceType: 't4g.small',
    databaseStorageGb: 50,
    databaseMultiAz: true,
    databaseBackupDays: 14,
    cacheMultiAz: true,
    minTasks: 2,
    maxTasks: 10,
    logRetentionDays: 90,
    accessLogRetentionDays: 365
  }
}

export class SettingsError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SettingsError'
  }
}

/**
 * The settings of `stage` from its defaults and `context` (cdk -c name=value, strings), checked
 * once: a missing or bad setting stops synth with a message naming it.
 */
export function loadSettings (context: Record<string, unknown>): Settings {
  const stage = context.stage ?? 'dev'
  if (stage !== 'dev' && stage !== 'prod') throw new SettingsError(`Invalid setting stage=${JSON.stringify(stage)}: dev or prod`)
  const raw: Record<string, unknown> = { ...STAGE_DEFAULTS[stage] }
  for (const key of Object.keys(SettingsSchema.properties)) {
    if (context[key] !== undefined && context[key] !== '') raw[key] = context[key]
  }
  const settings = Value.Convert(SettingsSchema, raw)
  const error = Value.Errors(SettingsSchema, settings).First()
  if (error) {
    const name = error.path.split('/')[1] || '(settings)'
    const given = raw[name] === undefined ? 'missing' : `=${JSON.stringify(raw[name])}`
    throw new SettingsError(`Invalid setting ${name} (${given}): ${error.message}${error.schema.description ? ` (${error.schema.description})` : ''}`)
  }
  const valid = settings as Settings
  const size = fargateSizeError(valid.taskCpu, valid.taskMemoryMiB)
  if (size) throw new SettingsError(`Invalid setting taskMemoryMiB=${valid.taskMemoryMiB} with taskCpu=${valid.taskCpu}: ${size}`)
  if (valid.maxTasks < valid.minTasks) throw new SettingsError(`Invalid setting maxTasks=${valid.maxTasks}: below minTasks=${valid.minTasks}`)
  const edge = edgeError(valid)
  if (edge) throw new SettingsError(edge)
  return valid
}

/**
 * Why the stage's name, certificate and hosted zone do not go together, or null. A certificate
 * names hosts, so HTTPS needs the name clients use (the load balancer's own DNS name is in no
 * certificate); prod serves HTTPS only.
 */
function edgeError (s: Settings): string | null {
  if (s.stage === 'prod' && (!s.certificateArn || !s.domainName)) {
    return `Invalid settings of prod: it needs certificateArn and domainName (HTTPS at a name the certificate covers)${s.certificateArn ? '' : '; certificateArn is missing'}${s.domainName ? '' : '; domainName is missing'}`
  }
  if (s.certificateArn && !s.domainName) return 'Invalid setting certificateArn without domainName: the certificate names a host, and the load balancer\'s own DNS name is not one of them; set domainName to the name it covers'
  if (Boolean(s.hostedZoneId) !== Boolean(s.hostedZoneName)) return `Invalid setting ${s.hostedZoneId ? 'hostedZoneId without hostedZoneName' : 'hostedZoneName without hostedZoneId'}: the hosted zone needs both`
  if (s.hostedZoneName && !s.domainName) return 'Invalid setting hostedZoneName without domainName: the record to make in it is domainName'
  if (s.hostedZoneName && s.domainName && s.domainName !== s.hostedZoneName && !s.domainName.endsWith(`.${s.hostedZoneName}`)) {
    return `Invalid setting domainName=${s.domainName}: not in the hosted zone ${s.hostedZoneName}`
  }
  return null
}
