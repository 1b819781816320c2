import { execFile } from 'node:child_process'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { ErrorSchema } from '../schemas/error.ts'
import { apiRoutes } from '../deploy/infra/lib/routes.ts'
import { build, serverTests } from './helpers/app.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

const run = promisify(execFile)
const REDOCLY = join(import.meta.dirname, '..', 'node_modules', '.bin', 'redocly')
const PACKAGE_NAME = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { name: string }).name

interface LintReport { totals: { errors: number, warnings: number }, problems: Array<{ ruleId: string, message: string }> }

interface Schema { $ref?: string, anyOf?: Schema[], oneOf?: Schema[], required?: string[], properties?: Record<string, unknown> }
interface Operation { operationId?: string, summary?: string, responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }
interface OpenApi { security: unknown[], paths: Record<string, Record<string, Operation>>, components: { schemas: Record<string, Schema> } }
interface Route { method: string, url: string, hidden: boolean }

const ERROR_REF = '#/components/schemas/Error'

async function openApi (app: FastifyInstance): Promise<OpenApi> {
  return (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApi>()
}

function operations (doc: OpenApi) {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })))
}

const schemaOf = (response?: { content?: Record<string, { schema?: Schema }> }) => response?.content?.['application/json']?.schema

/** A route's URL as the document writes it: `/api/users/:id` is `/api/users/{id}`. */
const openApiPath = (url: string) => url.replace(/:(\w+)(\([^)]*\))?/g, '{$1}')

/** The HEAD route Fastify adds beside each GET (exposeHeadRoutes): the document leaves it out. */
const isHeadBesideGet = (route: Route, routes: Route[]) => route.method === 'HEAD' && routes.some((r) => r.method === 'GET' && r.url === route.url)

/**
 * The app, built as every test builds it, and each route as its router was given it, collected
 * by an onRoute hook on the instance before any plugin registers one. Fastify publishes the new
 * instance on the `fastify.initialization` diagnostics channel: a hook added in build()'s
 * `setup` would come after the routes.
 */
async function buildWithRoutes (t: Parameters<typeof build>[0]): Promise<{ app: FastifyInstance, routes: Route[] }> {
  const routes: Route[] = []
  let instance: FastifyInstance | undefined
  const collect = (message: unknown) => {
    if (instance) return
    instance = (message as { fastify: FastifyInstance }).fastify
    instance.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, hidden: route.schema?.hide === true })
    })
  }
  subscribe('fastify.initialization', collect)
  try {
    return { app: await build(t), routes }
  } finally {
    unsubscribe('fastify.initialization', collect)
  }
}

t.test('the OpenAPI document passes `redocly lint` with the recommended rules: zero errors, zero warnings', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'openapi.json')
  writeFileSync(file, res.body)
  // Exit 1 when there are errors: the report is on stdout either way.
  const { stdout } = await run(REDOCLY, ['lint', '--extends', 'recommended', '--format', 'json', file], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }
  }).catch((err: { stdout: string }) => err)
  const report = JSON.parse(stdout) as LintReport
  t.same(report.problems.map((p) => `${p.ruleId}: ${p.message}`), [], 'no problem reported')
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 })
  // SERVICE_NAME's default is the package's name (`npm run rename` changes both).
  t.equal(res.json<{ info: { title: string } }>().info.title, PACKAGE_NAME, 'titled with the service\'s name')
})

t.test('every route of the router is in the document, and nothing else: a new route needs no entry here', async (t) => {
  const { app, routes } = await buildWithRoutes(t)
  const doc = await openApi(app)
  t.ok(routes.some((r) => r.method === 'GET' && r.url === '/health'), 'the routes were collected')
  const expected = routes.filter((r) => !r.hidden && !isHeadBesideGet(r, routes)).map((r) => `${r.method} ${openApiPath(r.url)}`)
  const documented = operations(doc).map(({ method, path }) => `${method} ${path}`)
  t.same(expected.filter((op) => !documented.includes(op)), [], 'every route of the router is in the document')
  t.same(documented.filter((op) => !expected.includes(op)), [], 'every operation of the document is a route of the router')
  t.same(routes.filter((r) => r.hidden && !r.url.startsWith('/docs')).map((r) => `${r.method} ${r.url}`), [], 'only the documentation\'s own routes are hidden from it')
  t.ok(routes.some((r) => r.url === '/docs/json' && r.hidden), 'the documentation\'s routes are hidden, not forgotten')
})

t.test('the dashboard\'s latency routes (deploy/infra/lib/routes.ts, read from routes/ at synth) are the router\'s API routes', async (t) => {
  const { routes } = await buildWithRoutes(t)
  const api = routes.filter((r) => !r.hidden && !isHeadBesideGet(r, routes) && !r.url.startsWith('/health')).map((r) => `${r.method} ${r.url}`)
  t.ok(api.includes('GET /api/users/:id'), 'the routes were collected')
  t.same(apiRoutes().map((r) => r.join(' ')).sort(), [...new Set(api)].sort(), 'a route declared so that the scan misses it fails here')
})

t.test('every operation has an operationId, unique in the document, a summary, and its 4xx/5xx answers in the one Error schema', async (t) => {
  const doc = await openApi(await build(t))
  const ops = operations(doc)
  t.ok(ops.length > 0)
  const ids = ops.map(({ op }) => op.operationId)
  t.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no operationId is used twice')
  for (const { method, path, op } of ops) {
    const name = `${method} ${path}`
    t.match(op.operationId, /^[a-z][A-Za-z0-9]*$/, `${name}: an operationId, in camelCase`)
    t.match(op.summary, /\S/, `${name}: a summary`)
    const responses = op.responses ?? {}
    for (const range of ['4XX', '5XX']) t.equal(schemaOf(responses[range])?.$ref, ERROR_REF, `${name}: ${range} is the Error schema`)
    for (const [code, response] of Object.entries(responses).filter(([code]) => /^[45]\d\d$/.test(code))) {
      const schema = schemaOf(response)
      const refs = [schema?.$ref, ...(schema?.anyOf ?? []).map((s) => s.$ref), ...(schema?.oneOf ?? []).map((s) => s.$ref)]
      t.ok(refs.includes(ERROR_REF), `${name}: ${code} can be the Error schema`)
    }
  }
  const error = doc.components.schemas.Error
  t.same(error.required, ErrorSchema.required, 'the Error schema is schemas/error.ts\'s')
  t.same(Object.keys(error.properties ?? {}), Object.keys(ErrorSchema.properties))
  t.same(doc.security, [], 'no operation takes credentials, said explicitly')
})

// Clients generated from the document call operations by these names, so a published one keeps
// its name. A new route needs no entry here: the two tests above cover it.
const PUBLISHED = [
  'GET / getWelcome',
  'GET /api/cache-test incrementCounter',
  'GET /api/info getInfo',
  'GET /api/stats getStats',
  'GET /api/users listUsers',
  'GET /api/users/{id} getUser',
  'GET /health getReadiness',
  'GET /health/live getLiveness',
  'POST /api/users createUser'
]

t.test('a published operationId does not change', async (t) => {
  const ids = operations(await openApi(await build(t))).map(({ method, path, op }) => `${method} ${path} ${op.operationId}`)
  t.same(PUBLISHED.filter((id) => !ids.includes(id)), [], 'every published operation is there under its name')
})

t.test('/docs is off by default in production, on elsewhere, and DOCS decides', async (t) => {
  const production = await build(t, { NODE_ENV: 'production' })
  t.equal((await production.inject({ method: 'GET', url: '/docs/json' })).statusCode, 404, 'production: off')
  const enabled = await build(t, { NODE_ENV: 'production', DOCS: 'true' })
  t.equal((await enabled.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200, 'production with DOCS=true: on')
  const off = await build(t, { DOCS: 'false' })
  t.equal((await off.inject({ method: 'GET', url: '/docs/json' })).statusCode, 404, 'test with DOCS=false: off')
})
