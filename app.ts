import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { IncomingMessage } from 'node:http'
import AutoLoad from '@fastify/autoload'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import pino from 'pino'
import { loadConfig, type Config } from './config/load.ts'
import { AccessLogController } from './lib/access-log.ts'
import { traceIdsInLogs } from './config/telemetry.ts'
import { traceIdsMixin } from './telemetry/log-trace-ids.ts'

export { loadConfig, type Config }

export interface AppOptions {
  config: Config
}

// A request id from nginx (X-Request-Id) is kept when it is a plain token; anything else is replaced.
const REQUEST_ID = /^[\w.:-]{1,128}$/

function requestId (req: IncomingMessage): string {
  const header = req.headers['x-request-id']
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID()
}

/** Options of the Fastify instance itself: what must be known before any plugin runs. */
export function serverOptions (config: Config): FastifyServerOptions {
  const production = config.NODE_ENV === 'production'
  return {
    logger: {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      // With telemetry, trace ids on lines written within a request through a logger other
      // than the request's (which has them bound): `fastify.log`, above all.
      ...(traceIdsInLogs(config) ? traceIdsMixin : {}),
      // Production writes JSON through an asynchronous destination, off the hot path, each line
      // as soon as the previous write is done (under load lines coalesce into one write): never
      // held back for a buffer to fill, so a quiet task's error reaches CloudWatch at once and a
      // task killed after its stop timeout has lost nothing it logged. pino flushes it on exit.
      // `maxWrite` bounds what coalesces into one write, 4 KiB (sonic-boom's default is 16): each
      // line written while a write is pending measures the pending text again (Buffer.byteLength
      // of the last chunk, which flattens it), so that work per line grows with the chunk.
      // Measured on GET / (`npm run bench:allocations`, bench/README.md): 24.6 → 18.8 KB allocated a request.
      // Development reads better pretty-printed.
      ...(production
        ? { stream: pino.destination({ dest: 1, sync: false, minLength: 0, maxWrite: 4096 }) }
        : config.NODE_ENV === 'development' ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {})
    },
    logController: new AccessLogController(),
    genReqId: requestId,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: config.BODY_LIMIT,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    // On close, requests on open connections are served, each answer closing its connection
    // (plugins/app/shutdown.ts), rather than refused with 503: the pools are still open.
    return503OnClosing: false,
    // avvio's default of 10 s per plugin is too short for the embedded database's first start
    // (PGlite compiles its WebAssembly and runs initdb) on a loaded 2-core machine or a small
    // VM: seen at 10-14 s in CI. Start-up does not wait for a real database or Redis, so only
    // that plugin comes near this bound.
    pluginTimeout: 120_000,
    onConstructorPoisoning: 'error',
    onProtoPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // What Fastify answers before any route or hook runs, a malformed percent-encoding or a
    // too-long path parameter, and bytes that are not HTTP: in the service's error shape, with
    // its headers (plugins/external/error-handler.ts). Fastify's own, or a closed connection, where the
    // app's plugins are not on this instance (fastify-cli's `npm run dev` encapsulates them).
    frameworkErrors: (err, request, reply) => request.server.hasDecorator('frameworkError') ? request.server.frameworkError(err, request, reply) : request.server.errorHandler(err, request, reply),
    clientErrorHandler (this: FastifyInstance, err, socket) { if (this.hasDecorator('clientError')) this.clientError(err, socket); else socket.destroy(err) }
  }
}

/**
 * The service as one plugin, as fastify/demo lays it out: plugins/external/ first (the wrappers
 * of third-party plugins and the framework's settings: configuration, validation, errors,
 * security headers, compression, the overload guard, docs), then plugins/app/ (the service's
 * own: its database and cache, migrations, users, visits, health, retention, shutdown, metrics),
 * each folder ordered by the plugins' declared dependencies; then every route module in routes/.
 */
export default async function serviceApp (fastify: FastifyInstance, opts: Partial<AppOptions>) {
  const config = opts.config ?? loadConfig(process.env)

  await fastify.register(AutoLoad, {
    dir: join(import.meta.dirname, 'plugins', 'external'),
    options: { config }
  })

  await fastify.register(AutoLoad, {
    dir: join(import.meta.dirname, 'plugins', 'app')
  })

  await fastify.register(AutoLoad, {
    dir: join(import.meta.dirname, 'routes'),
    autoHooks: false
  })
}
