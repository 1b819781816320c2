// OpenTelemetry, started before the service loads: `node --import ./dist/telemetry/preload.js dist/server.js`
// (the image and `npm start`), `--import ./telemetry/preload.ts` from the sources (tests, benchmark). The
// instrumentations patch pg, ioredis, pino and http as they load, so they must be in place
// before the app imports them; under ESM that takes import-in-the-middle's loader hook.
//
// Configured only by the standard OTEL_* variables (config/telemetry.ts, validated with the rest
// of the configuration: a wrong one stops start-up here). With no endpoint and no exporter named,
// this file loads nothing else and the service runs exactly as without it.
import { ConfigError, loadConfig } from '../config/load.ts'
import { telemetrySignals } from '../config/telemetry.ts'

let config
try {
  config = loadConfig(process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(err.message)
  process.exit(1)
}

const { traces, metrics, logs } = telemetrySignals(config)
if (traces || metrics || logs) {
  const { register } = await import('node:module')
  const { createAddHookMessageChannel } = await import('import-in-the-middle')
  // Only the modules an instrumentation asks for go through the hook, not every import.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions)
  const { startTelemetry } = await import('./sdk.ts')
  startTelemetry(config)
  await waitForAllMessagesAcknowledged()
}
