import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

/** The service's route modules (loaded by @fastify/autoload from this folder). */
export const SERVICE_ROUTES = join(import.meta.dirname, '..', '..', '..', 'routes')

/**
 * The API's routes as [method, template], read from the service's route modules at synth, so a
 * route added there is on the dashboard without an edit here: @fastify/autoload makes a module's
 * folder its prefix (index.ts and root.ts add none), and each `fastify.<method>('<path>'` call is
 * a route. The probes (/health…) are left out: the load balancer and ECS call them, not clients.
 * test/routes.test.ts (the service's suite) checks the result against the running app's route
 * table, so a route declared any other way fails there.
 */
export function apiRoutes (dir = SERVICE_ROUTES): Array<readonly [string, string]> {
  const files = (d: string): string[] => readdirSync(d).sort().flatMap((f) => statSync(join(d, f)).isDirectory() ? files(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : [])
  return files(dir).flatMap((file) => {
    const prefix = `/${relative(dir, file).split('/').slice(0, -1).join('/')}`.replace(/\/$/, '')
    return [...readFileSync(file, 'utf8').matchAll(/fastify\.(get|post|put|patch|delete)\(\s*'([^']*)'/g)]
      .map(([, method, path]) => [method.toUpperCase(), `${prefix}${path}`.replace(/(.)\/$/, '$1') || '/'] as const)
  }).filter(([, route]) => !route.startsWith('/health'))
}
