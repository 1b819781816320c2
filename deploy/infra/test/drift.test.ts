// No drift between the stack and the service it runs: what the task gives each container is what
// that container reads, and the commands the task runs exist in the images.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigSchema } from '../../../config/schema.ts'
import { APP_HEALTH_CHECK, NGINX_HEALTH_CHECK } from '../lib/constructs/service.ts'
import { synth } from './helper.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const NGINX = join(ROOT, 'deploy', 'nginx')
const { service } = synth()
const known = new Set(Object.keys(ConfigSchema.properties))

t.test('every variable the stack gives the app is one config/schema.ts knows', async (t) => {
  const given = [...Object.keys(service.service.appEnvironment), 'DB_USER', 'DB_PASSWORD', 'REDIS_PASSWORD']
  t.same(given.filter((name) => !known.has(name)), [], 'none unknown')
})

t.test('the production-required settings are there: database, Redis, TLS, production mode', async (t) => {
  t.match(service.service.appEnvironment, {
    NODE_ENV: 'production', DB_HOST: String, REDIS_HOST: String, DB_SSL: 'verify-full', DB_SSL_CA: '/app/certs/rds-global-bundle.pem', REDIS_TLS: 'true', HOST: '127.0.0.1'
  })
})

t.test('the nginx container gets exactly the variables its templates use', async (t) => {
  const used = new Set(readdirSync(join(NGINX, 'templates')).flatMap((file) =>
    // Comments aside: the template's header mentions ${VARIABLES} in prose.
    [...readFileSync(join(NGINX, 'templates', file), 'utf8').replace(/^\s*#.*$/gm, '').matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1])))
  const imageDefaults = new Set([...readFileSync(join(NGINX, 'Dockerfile'), 'utf8').matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=/gm)].map((m) => m[1]))
  const given = Object.keys(service.service.nginxEnvironment)
  t.same(given.filter((name) => !used.has(name)), [], 'nothing given that the templates ignore')
  t.same([...used].filter((name) => !given.includes(name) && !imageDefaults.has(name)), [], 'nothing used that is neither given nor defaulted by the image')
})

t.test('the health-check and migration commands exist in the images', async (t) => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  t.match(dockerfile, /COPY scripts \.\/scripts/, 'the app image builds scripts/')
  for (const script of [APP_HEALTH_CHECK[2], 'dist/scripts/migrate.js']) {
    t.ok(existsSync(join(ROOT, script.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), `${script} is built from the repository`)
  }
  t.match(dockerfile, /HEALTHCHECK[^\n]*\n\s*CMD \["node", "dist\/scripts\/healthcheck.js"\]/, 'the image\'s own HEALTHCHECK runs the same script')
  t.match(readFileSync(join(NGINX, 'templates', 'default.conf.template'), 'utf8'), /location = \/nginx-health/, 'nginx answers /nginx-health')
  t.match(readFileSync(join(NGINX, 'Dockerfile'), 'utf8'), /^FROM nginx:[\w.]+-bookworm/m, 'a Debian nginx image, which has bash')
  t.equal(NGINX_HEALTH_CHECK[1], 'bash')
})
