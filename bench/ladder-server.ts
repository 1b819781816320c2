// One rung of `npm run bench:ladder` (bench/ladder.ts): GET / on Fastify with the first RUNG
// of the service's own pieces in place, the real ones (its route, server options and
// plugins/external/*), in the order the service loads them. RUNG=0 is bare Fastify.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { loadConfig, serverOptions } from '../app.ts'
import configPlugin from '../plugins/external/config.ts'
import sharedSchemas from '../plugins/external/shared-schemas.ts'
import securityHeaders from '../plugins/external/security-headers.ts'
import requestId from '../plugins/external/request-id.ts'
import clientAddress from '../plugins/external/client-address.ts'
import compression from '../plugins/external/compression.ts'
import underPressure from '../plugins/external/under-pressure.ts'
import errorHandler from '../plugins/external/error-handler.ts'
import validation from '../plugins/external/validation.ts'
import docs from '../plugins/external/docs.ts'
import root from '../routes/root.ts'

// Each rung: what it adds, and the plugins of plugins/external/ it registers (in autoload's
// order, by dependencies) on top of the rungs before it.
const LADDER: Array<{ adds: string, plugins?: FastifyPluginAsync<any>[] }> = [
  { adds: 'bare Fastify: logger off, a plain route' },
  { adds: '+ the welcome route (routes/root.ts: its schema and serializer)' },
  { adds: '+ the server options, logger at `warn` (pino, a child logger and a request id per request; no line written)' },
  { adds: '+ the access-log line (logger at `info`: one line per request to the async destination)' },
  { adds: '+ security headers (helmet\'s, once per answer)', plugins: [securityHeaders] },
  { adds: '+ the x-request-id header', plugins: [requestId] },
  { adds: '+ the client address', plugins: [clientAddress] },
  { adds: '+ compression', plugins: [compression] },
  { adds: '+ the overload guard (under-pressure)', plugins: [underPressure] },
  { adds: '+ the error handler, validation and docs (the rest of plugins/external)', plugins: [errorHandler, validation, docs] }
]
export const RUNGS = LADDER.map((rung) => rung.adds)

if (process.env.RUNG !== undefined) {
  const rung = Number(process.env.RUNG)
  const config = loadConfig(process.env)
  const app: FastifyInstance = Fastify(rung >= 2 ? serverOptions(rung === 2 ? { ...config, LOG_LEVEL: 'warn' } : config) : { logger: false })
  await app.register(configPlugin, { config })
  await app.register(sharedSchemas)
  for (const { plugins = [] } of LADDER.slice(0, rung + 1)) for (const plugin of plugins) await app.register(plugin)
  if (rung === 0) app.get('/', async () => ({ message: 'hello' }))
  else await app.register(root)
  await app.listen({ host: config.HOST, port: config.PORT })
  process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
