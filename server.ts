import fp from 'fastify-plugin'
import Fastify from 'fastify'
import closeWithGrace from 'close-with-grace'
import serviceApp, { loadConfig, serverOptions, type Config } from './app.ts'

let config: Config
try {
  config = loadConfig(process.env)
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}

const app = Fastify(serverOptions(config))
try {
  // fastify-plugin: the app's decorators and hooks live on the root instance, as in tests.
  await app.register(fp(serviceApp), { config })
} catch (err) {
  app.log.fatal({ err }, 'could not start')
  process.exit(1)
}

// SIGTERM/SIGINT: stop accepting, answer what is on open connections (plugins/app/shutdown.ts),
// flush visits, close pools, exit 0. A second signal or the delay passing exits 1.
closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger: app.log }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an uncaught error')
  else app.log.info({ signal }, 'closing')
  await app.close()
})

try {
  await app.listen({ host: config.HOST, port: config.PORT })
} catch (err) {
  app.log.fatal({ err }, 'could not start')
  process.exit(1)
}
