import { CloneType, Type, type Static } from '@sinclair/typebox'
import { TelemetrySchema } from './telemetry.ts'

const port = (fallback: number, description: string, minimum = 1) => Type.Integer({ minimum, maximum: 65535, default: fallback, description })
const millis = (fallback: number, description: string) => Type.Integer({ minimum: 1, maximum: 600_000, default: fallback, description })
const flag = (fallback: boolean, description: string) => Type.Boolean({ default: fallback, description })
export const SslMode = Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-full')])

// Every variable the service reads; docs/configuration.md is generated from it
// (scripts/config-reference.ts). Names and defaults of the Flask service are kept
// (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD, REDIS_HOST, REDIS_PORT).
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: '`development`: pretty-printed logs; `production`: JSON logs through an asynchronous destination, a database and Redis required (DATABASE_URL or DB_HOST, REDIS_URL or REDIS_HOST), /docs off; `test`: the test suite'
  }),
  SERVICE_NAME: Type.String({ minLength: 1, default: 'ecs-microservice', description: 'Name of the service in answers, logs, the OpenAPI document, the connections\' `application_name` and, unless OTEL_SERVICE_NAME is set, the telemetry\'s `service.name`' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address the server listens on (on ECS `127.0.0.1`: only nginx, in the same task, reaches it)' }),
  PORT: port(3000, 'Port the server listens on; `0`: any free port (tests)', 0),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino level of the service\'s log' }),
  // The default believes nginx, in the same task or the VPC, and no one else.
  TRUST_PROXY: Type.String({ default: 'loopback,uniquelocal', description: 'Comma-separated addresses or CIDRs whose `X-Forwarded-For` is believed, in proxy-addr syntax (including the names `loopback`, `linklocal`, `uniquelocal`)' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 104_857_600, default: 1_048_576, description: 'Largest request body, in bytes' }),
  // ALB idle timeout (60 s) < nginx keepalive (65 s) < this, so the app never closes a
  // connection that a proxy is about to reuse.
  KEEP_ALIVE_TIMEOUT_MS: millis(75_000, 'How long an idle keep-alive connection is kept open'),
  // ECS sends SIGTERM and SIGKILLs 30 s later (stopTimeout); leave room for the flush.
  SHUTDOWN_TIMEOUT_MS: millis(20_000, 'Longest graceful shutdown; beyond it the process exits 1'),
  // So a request already sent on an idle connection is answered, not reset (plugins/app/shutdown.ts).
  SHUTDOWN_DRAIN_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000, description: 'On close, connections with no request under way are closed only after this long, so a request already sent on one is answered; also the longest the listener stays open to take connections already queued for it' }),

  DATABASE_URL: Type.Optional(Type.String({ minLength: 1, description: 'PostgreSQL connection string, `postgres://user:password@host:5432/db`; takes precedence over the DB_* variables. Its `sslmode` and `sslrootcert` mean what DB_SSL and DB_SSL_CA mean; a contradiction stops start-up' })),
  DB_HOST: Type.Optional(Type.String({ minLength: 1, description: 'PostgreSQL host. With neither DATABASE_URL nor DB_HOST (never in production) the service runs an embedded PostgreSQL (EMBEDDED_DATABASE_DIR)' })),
  DB_PORT: port(5432, 'PostgreSQL port'),
  DB_NAME: Type.String({ minLength: 1, default: 'postgres', description: 'Database name' }),
  DB_USER: Type.String({ minLength: 1, default: 'postgres', description: 'Database user' }),
  DB_PASSWORD: Type.Optional(Type.String({ description: 'Database password' })),
  // No default here, so that DATABASE_URL's sslmode can fill it in (resolveDatabaseTls).
  DB_SSL: Type.Optional(CloneType(SslMode, { description: 'TLS to the database; unset: `disable`. `require`: encrypted, the server not authenticated; `verify-full`: encrypted, the server\'s certificate chain and host name checked against DB_SSL_CA (production on RDS)' })),
  DB_SSL_CA: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA bundle that `verify-full` checks the database\'s certificate against (in the image: `/app/certs/rds-global-bundle.pem`); start-up stops if it is unreadable' })),
  // 10 per process: see bench/README.md, "Pool size", for the measurement that chose it.
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'Connections per process in the requests\' pool' }),
  DB_CONNECTION_TIMEOUT_MS: millis(2_000, 'Longest wait for a pooled connection; beyond it the request answers 503'),
  DB_STATEMENT_TIMEOUT_MS: millis(5_000, '`statement_timeout` of every request session (the client gives up 1 s later)'),
  DB_MIGRATE_ON_START: flag(true, 'Apply the migrations at start-up, under an advisory lock'),
  // 0 by default, so a long migration runs to completion; never the request statement timeout.
  DB_MIGRATION_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 0, description: 'The one bound of a migration session: its `statement_timeout`, which also covers waiting for the lock; `0`: none' }),
  EMBEDDED_DATABASE_DIR: Type.String({ minLength: 1, default: '.data/pglite', description: 'With neither DATABASE_URL nor DB_HOST (never in production): the data directory of the embedded PostgreSQL (PGlite); `:memory:` keeps nothing' }),

  REDIS_URL: Type.Optional(Type.String({ minLength: 1, description: '`redis://[:password@]host:6379[/db]`, `rediss://` for TLS; takes precedence over the REDIS_* variables' })),
  REDIS_HOST: Type.Optional(Type.String({ minLength: 1, description: 'Redis host. With neither REDIS_URL nor REDIS_HOST (never in production) the cache is an in-process store' })),
  REDIS_PORT: port(6379, 'Redis port'),
  REDIS_PASSWORD: Type.Optional(Type.String({ description: 'Redis password (the ElastiCache AUTH token)' })),
  REDIS_TLS: flag(false, 'TLS to Redis (ElastiCache in-transit encryption): the certificate and its name checked against REDIS_TLS_CA, else the system\'s CAs (Amazon\'s are among them)'),
  REDIS_TLS_CA: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA that signed Redis\' certificate; unset: the system\'s CAs. Start-up stops if it is unreadable' })),
  REDIS_DB: Type.Integer({ minimum: 0, maximum: 15, default: 0, description: 'Redis database number' }),
  REDIS_KEY_PREFIX: Type.String({ default: '', description: 'Prefix of every Redis key' }),
  REDIS_COMMAND_TIMEOUT_MS: millis(1_000, 'Longest wait for a Redis answer'),

  // Visits are buffered and written in batches; see docs/architecture.md, "Visits".
  VISITS_FLUSH_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 250, default: 100, description: 'How often buffered visits are written (sooner when a batch is full)' }),
  VISITS_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 2_000, description: 'Visits per INSERT statement' }),
  VISITS_BUFFER_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 50_000, description: 'Visits kept in memory while the database does not take them; beyond it they are dropped, counted and logged' }),
  // Totals are running counts and do not change. See docs/architecture.md, "Data retention".
  VISITS_RETENTION_DAYS: Type.Integer({ minimum: 0, maximum: 36_500, default: 90, description: 'Visits (which hold client addresses, the Flask service\'s in `flask_visits` too) older than this are deleted in the background; `0` keeps them for ever' }),
  VISITS_RETENTION_INTERVAL_MS: Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: 3_600_000, description: 'How often the deletion of old visits runs (the first time within a minute of start-up)' }),
  VISITS_RETENTION_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 100_000, default: 5_000, description: 'Rows per DELETE of old visits' }),

  HEALTH_CHECK_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1_000, description: 'How often readiness (/health) is checked in the background, on connections of its own' }),
  HEALTH_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1_000, description: 'Longest wait for one check (connect, `SELECT 1`); beyond it the dependency counts as lost' }),

  // The guard is plugins/external/under-pressure.ts; tests that do not test it turn it off (a loaded
  // machine would trip it).
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 1_000, description: 'Event-loop delay past which new requests get 503; `0` turns the guard off' }),
  DOCS: Type.Optional(Type.Boolean({ description: 'Serve the OpenAPI document at /docs (UI) and /docs/json; unset: on, except with NODE_ENV=production' })),

  // OpenTelemetry, by its standard variables (config/telemetry.ts, docs/observability.md, "Variables").
  ...TelemetrySchema.properties
})

export type Config = Static<typeof ConfigSchema>
