import { Tags, type App } from 'aws-cdk-lib'
import { loadSettings, SettingsSchema, type Settings } from './settings.ts'
import { AccountStack } from './account-stack.ts'
import { RegistryStack } from './registry-stack.ts'
import { DataStack } from './data-stack.ts'
import { ServiceStack } from './service-stack.ts'

/**
 * The account's stack (shared by the stages) and the three of a stage: the deploy role, the data
 * (VPC, database, cache; termination protection in prod), then the service over it.
 */
export function buildApp (app: App, context: Record<string, unknown> = contextOf(app)) {
  const settings: Settings = loadSettings(context)
  const prefix = `${settings.serviceName}-${settings.stage}`
  const account = new AccountStack(app, `${settings.serviceName}-account`, { settings, description: `${settings.serviceName}: image repositories and GitHub's OIDC provider, shared by every stage of the account` })
  const registry = new RegistryStack(app, `${prefix}-registry`, { settings, description: `${settings.serviceName}: the GitHub deploy role (${settings.stage})` })
  const data = new DataStack(app, `${prefix}-data`, { settings, description: `${settings.serviceName}: network, database, cache (${settings.stage})` })
  const service = new ServiceStack(app, `${prefix}-service`, { settings, data, description: `${settings.serviceName}: ECS service, load balancer, WAF, alarms (${settings.stage})` })
  registry.addStackDependency(account)
  data.addStackDependency(registry)
  service.addStackDependency(data)
  Tags.of(app).add('service', settings.serviceName)
  for (const stack of [registry, data, service]) Tags.of(stack).add('stage', settings.stage)
  return { settings, account, registry, data, service }
}

function contextOf (app: App): Record<string, unknown> {
  return Object.fromEntries(Object.keys(SettingsSchema.properties).map((key) => [key, app.node.tryGetContext(key)]))
}
