import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ESLint } from 'eslint'
import Fastify, { type RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import serviceApp, { serverOptions } from '../app.ts'
import { build, serverTests, testConfig } from './helpers/app.ts'
import { testDatabaseUrl } from './helpers/database.ts'
import { testServers } from './setup/servers.ts'

// Needs a real PostgreSQL and Redis (skipped, and named, in a run that has none).
const t = serverTests()

t.test('in production, /api/info and errors carry no password, connection string or host', async (t) => {
  const url = new URL(await testDatabaseUrl())
  url.username = 'svc'
  url.password = 'Sup3rSecretPa55word'
  const app = await build(t, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: url.toString(),
    REDIS_URL: testServers().redisUrl,
    REDIS_PASSWORD: 'An0therSecretT0ken'
  })
  const info = await app.inject({ method: 'GET', url: '/api/info' })
  t.equal(info.statusCode, 200)
  t.equal(info.json().environment, 'production')
  t.notOk('host' in info.json().database, 'no database host in production')
  t.notOk('host' in info.json().redis, 'no Redis host in production')
  t.notOk('hostname' in info.json(), 'no hostname in production (on Fargate it is the task\'s private IP)')
  // The login fails (no such role): the answer must not say why, or with what.
  for (const res of [info, await app.inject({ method: 'GET', url: '/api/users' }), await app.inject({ method: 'GET', url: '/api/cache-test' })]) {
    t.notMatch(res.body, /Sup3rSecret|An0therSecret|postgres(ql)?:\/\/|svc@|role|password/i, String(res.raw.req.url))
  }
})

const SOURCES = ['app.ts', 'server.ts', 'dev.ts', 'plugins', 'lib', 'routes', 'schemas', 'scripts']

function sourceFiles (): string[] {
  return SOURCES.flatMap((entry) => statSync(entry).isDirectory()
    ? readdirSync(entry, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(entry, f))
    : [entry])
}

t.test('no SQL is built from strings: the lint rule catches each way of doing it, and no source does it', async (t) => {
  const eslint = new ESLint()
  /* eslint-disable no-template-curly-in-string -- the code below is what the rule must flag */
  const [result] = await eslint.lintText([
    'declare const pg: { query (q: unknown, v?: unknown[]): Promise<void> }',
    "const name = 'x'",
    "await pg.query(`SELECT * FROM users WHERE username = '${name}'`)",
    "await pg.query('SELECT * FROM users WHERE username = ' + name)",
    "await pg.query({ name: 'a', text: `SELECT ${name}` })",
    "await pg.query({ text: 'SELECT ' + name })",
    "await pg.query('SELECT $1', [name])",
    ''
  ].join('\n'), { filePath: 'lib/example.ts' })
  /* eslint-enable no-template-curly-in-string */
  t.same(result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.line), [3, 4, 5, 6], 'every concatenation flagged, the parameterised query not')

  // And what the rule cannot see (SQL assembled in a variable first): no SQL keyword in a
  // template with substitutions or next to a `+`, anywhere in the service's sources.
  const builtSql = /`[^`]*\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|WHERE)\b[^`]*\$\{|\b(SELECT|INSERT|UPDATE|DELETE|WHERE)\b[^'"\n]*['"]\s*\+|\+\s*['"][^'"\n]*\b(SELECT|INSERT|UPDATE|DELETE|WHERE)\b/
  const files = sourceFiles()
  t.ok(files.length > 20, `${files.length} source files read`)
  for (const file of files) t.notMatch(readFileSync(file, 'utf8'), builtSql, file)
})

t.test('every route of the API declares response schemas for its answer and its errors', async (t) => {
  const routes: RouteOptions[] = []
  const config = await testConfig()
  const app = Fastify(serverOptions(config))
  app.addHook('onRoute', (route) => { routes.push(route) })
  await app.register(fp(serviceApp), { config })
  await app.ready()
  t.teardown(() => app.close())
  const api = routes.filter((r) => !(r.schema as { hide?: boolean } | undefined)?.hide && !r.url.startsWith('/docs'))
  t.ok(api.length >= 8, `${api.length} routes`)
  for (const route of api) {
    const codes = Object.keys((route.schema?.response ?? {}) as object)
    t.ok(codes.some((c) => /^2/.test(c)), `${route.method} ${route.url}: a success schema (${codes.join(', ')})`)
    t.ok(codes.includes('4xx') && codes.includes('5xx'), `${route.method} ${route.url}: the error schema`)
  }
})

t.test('helmet headers are on every answer, errors included', async (t) => {
  const app = await build(t)
  const down = await build(t, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' })
  const answers = [
    await app.inject({ method: 'GET', url: '/' }),
    await app.inject({ method: 'POST', url: '/api/users', payload: { username: 'x' } }),
    await app.inject({ method: 'POST', url: '/api/users', payload: { username: '' } }),
    await app.inject({ method: 'POST', url: '/api/users', headers: { 'content-type': 'text/plain' }, payload: 'x' }),
    await app.inject({ method: 'GET', url: '/nowhere' }),
    await down.inject({ method: 'GET', url: '/api/users' })
  ]
  t.same(answers.map((r) => r.statusCode), [200, 201, 400, 415, 404, 503])
  for (const res of answers) {
    t.match(res.headers, {
      'content-security-policy': /default-src 'none'/,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'strict-transport-security': /max-age=\d+/,
      'referrer-policy': 'no-referrer'
    }, `${res.statusCode}`)
  }
})
