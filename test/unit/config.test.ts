import { readFileSync } from 'node:fs'
import t from 'tap'
import { loadConfig } from '../../config/load.ts'
import { poolOptions, databaseHost } from '../../lib/database-options.ts'
import { redisOptions } from '../../lib/redis-options.ts'

t.test('defaults: port 3000 on all addresses, 1 MiB bodies, bounded database waits', async (t) => {
  const config = loadConfig({})
  t.match(config, { NODE_ENV: 'development', HOST: '0.0.0.0', PORT: 3000, BODY_LIMIT: 1_048_576, DB_POOL_MAX: 10 })
  t.ok(config.DB_STATEMENT_TIMEOUT_MS > 0 && config.DB_CONNECTION_TIMEOUT_MS > 0)
})

t.test('a bad value stops start-up with a message naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DB_POOL_MAX: '0' }, /DB_POOL_MAX/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ REDIS_TLS: 'maybe' }, /REDIS_TLS/],
    [{ DB_SSL: 'verify-full' }, /DB_SSL_CA/],
    [{ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379' }, /DATABASE_URL or DB_HOST/],
    [{ NODE_ENV: 'production', DB_HOST: 'db' }, /REDIS_URL or REDIS_HOST/],
    [{ DB_SSL: 'verify-full', DB_SSL_CA: '/no/such/rds-global-bundle.pem' }, /DB_SSL_CA="\/no\/such\/rds-global-bundle.pem": no readable CA file/],
    [{ REDIS_TLS: 'true', REDIS_TLS_CA: '/no/such/ca.pem' }, /REDIS_TLS_CA/],
    [{ DATABASE_URL: 'postgres://db/app?sslmode=verify-full' }, /DB_SSL_CA is required when DB_SSL=verify-full/],
    [{ DATABASE_URL: 'postgres://db/app?sslmode=require', DB_SSL: 'disable' }, /sslmode=require contradicts DB_SSL=disable/],
    [{ DATABASE_URL: 'postgres://db/app?sslmode=verify-full&sslrootcert=/etc/a.pem', DB_SSL: 'verify-full', DB_SSL_CA: 'package.json' }, /sslrootcert=\/etc\/a.pem contradicts DB_SSL_CA/],
    [{ DATABASE_URL: 'postgres://db/app?sslmode=prefer' }, /sslmode=prefer is not supported/],
    [{ DATABASE_URL: 'postgres://db/app?sslcert=/c.pem' }, /sslcert= is not supported/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
})

t.test('the Flask service variables DB_* and REDIS_* still work', async (t) => {
  const config = loadConfig({ DB_HOST: 'db.internal', DB_PORT: '6543', DB_NAME: 'app', DB_USER: 'svc', DB_PASSWORD: 'pw', REDIS_HOST: 'cache.internal', REDIS_PORT: '6380', DB_SSL: 'require', REDIS_TLS: 'true', REDIS_PASSWORD: 'token' })
  t.match(poolOptions(config), { host: 'db.internal', port: 6543, database: 'app', user: 'svc', password: 'pw', ssl: { rejectUnauthorized: false } })
  t.equal(databaseHost(config), 'db.internal')
  t.match(redisOptions(config), { host: 'cache.internal', port: 6380, password: 'token', tls: {} })
})

t.test('DATABASE_URL and REDIS_URL (rediss:// for TLS) take precedence', async (t) => {
  const config = loadConfig({ DATABASE_URL: 'postgres://u:p@pg.example:5433/d', DB_HOST: 'ignored', REDIS_URL: 'rediss://:tok%40en@redis.example:6390/2' })
  t.match(poolOptions(config), { connectionString: 'postgres://u:p@pg.example:5433/d' })
  t.equal(databaseHost(config), 'pg.example')
  t.match(redisOptions(config), { host: 'redis.example', port: 6390, password: 'tok@en', db: 2, tls: {} })
  t.equal(databaseHost(loadConfig({ DATABASE_URL: 'not a url' })), 'unknown')
})

t.test('TLS to the database: one setting, whether given as DB_SSL/DB_SSL_CA or in DATABASE_URL', async (t) => {
  t.same(poolOptions(loadConfig({ DB_HOST: 'db' })).ssl, false, 'off by default')
  t.same(poolOptions(loadConfig({ DB_HOST: 'db', DB_SSL: 'require' })).ssl, { rejectUnauthorized: false }, 'require: encrypted, not authenticated')
  const verify = poolOptions(loadConfig({ DB_HOST: 'db', DB_SSL: 'verify-full', DB_SSL_CA: 'package.json' }))
  t.match(verify.ssl, { rejectUnauthorized: true, ca: /"name": "ecs-microservice"/ }, 'verify-full: the chain and the name are checked against DB_SSL_CA')
  const fromUrl = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/app?sslmode=verify-full&sslrootcert=package.json&application_name=x' })
  t.equal(fromUrl.DB_SSL, 'verify-full')
  t.equal(fromUrl.DB_SSL_CA, 'package.json')
  t.equal(fromUrl.DATABASE_URL, 'postgres://u:p@db:5432/app?application_name=x', 'TLS parameters moved out of the URL, so pg cannot read them its own way')
  t.same(loadConfig({ DATABASE_URL: 'postgres://db/app?sslmode=require', DB_SSL: 'require' }).DB_SSL, 'require', 'both ways, the same: accepted')
})

t.test('/docs defaults: on outside production, off in production', async (t) => {
  t.equal(loadConfig({}).DOCS, true)
  t.equal(loadConfig({ NODE_ENV: 'production', DB_HOST: 'db', REDIS_HOST: 'cache' }).DOCS, false)
  t.equal(loadConfig({ NODE_ENV: 'production', DB_HOST: 'db', REDIS_HOST: 'cache', DOCS: 'true' }).DOCS, true)
})

t.test('the image runs node with the heap settings of npm start and the benchmark', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { config: { node_options: string }, scripts: { start: string } }
  t.match(readFileSync('Dockerfile', 'utf8'), `NODE_OPTIONS="${pkg.config.node_options}"`)
  t.match(pkg.scripts.start, '$npm_package_config_node_options')
})
