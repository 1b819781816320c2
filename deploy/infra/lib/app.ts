import { Tags, type App } from 'aws-cdk-lib'
import { loadSettings, SettingsSchema, type Settings } from './settings.ts'
import { RegistryStack } from './registry-stack.ts'
import { ServiceStack } from './service-stack.ts'

/** Both stacks of a stage, from the app's context: the registry first, then the service. */
export function buildApp (app: App, context: Record<string, unknown> = contextOf(app)) {
  const settings: Settings = loadSettings(context)
  const prefix = `${settings.serviceName}-${settings.stage}`
  const registry = new RegistryStack(app, `${prefix}-registry`, { settings, description: `${settings.serviceName}: image repositories and the GitHub deploy role (${settings.stage})` })
  const service = new ServiceStack(app, `${prefix}-service`, { settings, description: `${settings.serviceName}: network, database, cache, ECS service, load balancer, WAF, alarms (${settings.stage})` })
  service.addStackDependency(registry)
  Tags.of(app).add('service', settings.serviceName)
  Tags.of(app).add('stage', settings.stage)
  return { settings, registry, service }
}

function contextOf (app: App): Record<string, unknown> {
  return Object.fromEntries(Object.keys(SettingsSchema.properties).map((key) => [key, app.node.tryGetContext(key)]))
}
