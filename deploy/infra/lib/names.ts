import type { Settings } from './settings.ts'

/**
 * Names the stacks agree on without a cross-stack reference: the registry stack (deployed
 * before the service) scopes the deploy role to the account stack's repositories and to
 * resources the service stack creates later.
 */
export type Names = ReturnType<typeof names>

export function names (settings: Pick<Settings, 'serviceName' | 'stage' | 'appRepository' | 'nginxRepository'>) {
  const base = `${settings.serviceName}-${settings.stage}`
  return {
    appRepository: settings.appRepository,
    nginxRepository: settings.nginxRepository,
    cluster: base,
    service: settings.serviceName,
    migrationFamily: `${base}-migrate`,
    serviceFamily: base,
    // Roles the deploy role may pass to ECS (task and execution roles of both task definitions).
    rolePrefix: `${base}-`,
    // The stage's stacks (deploy/infra/lib/app.ts), and the account's.
    stacks: ['registry', 'data', 'service'].map((stack) => `${base}-${stack}`),
    accountStack: `${settings.serviceName}-account`
  }
}
