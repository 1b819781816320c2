import { Tags, type App } from 'aws-cdk-lib'
import { loadSettings, SettingsSchema, type Settings } from './settings.ts'
import { AccountStack } from './account-stack.ts'
import { RegistryStack } from './registry-stack.ts'
import { ServiceStack } from './service-stack.ts'

/** The account's stack (shared by the stages) and the two of a stage: the deploy role, then the service. */
export function buildApp (app: App, context: Record<string, unknown> = contextOf(app)) {
  const settings: Settings = loadSettings(context)
  const prefix = `${settings.serviceName}-${settings.stage}`
  const account = new AccountStack(app, `${settings.serviceName}-account`, { settings, description: `${settings.serviceName}: image repositories and GitHub's OIDC provider, shared by every stage of the account` })
  const registry = new RegistryStack(app, `${prefix}-registry`, { settings, description: `${settings.serviceName}: the GitHub deploy role (${settings.stage})` })
  const service = new ServiceStack(app, `${prefix}-service`, { settings, description: `${settings.serviceName}: network, database, cache, ECS service, load balancer, WAF, alarms (${settings.stage})` })
  registry.addStackDependency(account)
  service.addStackDependency(registry)
  Tags.of(app).add('service', settings.serviceName)
  for (const stack of [registry, service]) Tags.of(stack).add('stage', settings.stage)
  return { settings, account, registry, service }
}

function contextOf (app: App): Record<string, unknown> {
  return Object.fromEntries(Object.keys(SettingsSchema.properties).map((key) => [key, app.node.tryGetContext(key)]))
}
