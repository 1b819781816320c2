// Entry of the fastify-cli dev server (`npm run dev`): the same app and server options as
// server.ts, which is the production entry.
import { loadConfig, serverOptions } from './app.ts'

export { default } from './app.ts'

export const options = serverOptions(loadConfig(process.env))
