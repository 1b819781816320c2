import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { App, Validations } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { AwsSolutionsChecks } from 'cdk-nag'
import { buildApp } from '../lib/app.ts'

export const DIGEST = `sha256:${'a'.repeat(64)}`
export const NGINX_DIGEST = `sha256:${'b'.repeat(64)}`
export const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b7e9f0e-1111-2222-3333-444455556666'

export const DOMAIN = 'api.example.com'
/** What prod requires beyond every stage's context: HTTPS at a name its certificate covers. */
export const PROD_EDGE = { certificateArn: CERTIFICATE, domainName: DOMAIN }

/**
 * The context every stage needs (prod's: PROD_EDGE too); `extra` adds or overrides settings
 * (strings, as `-c` gives them; '' removes one, as loadSettings ignores it).
 */
export function context (extra: Record<string, string> = {}): Record<string, string> {
  return { githubRepository: 'acme/ecs-microservice', appImageDigest: DIGEST, nginxImageDigest: NGINX_DIGEST, ...(extra.stage === 'prod' ? PROD_EDGE : {}), ...extra }
}

/** cdk.json's context: the feature flags `cdk synth` runs with. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context

/**
 * Both stacks of a stage synthesized as `cdk synth` does (cdk.json's feature flags), with the AwsSolutions rules: a finding
 * that is neither fixed nor acknowledged throws here, so every test synth is also a nag check.
 */
export function synth (extra: Record<string, string> = {}) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context(extra) } })
  const built = buildApp(app)
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  return {
    ...built,
    app,
    accountTemplate: Template.fromStack(built.account),
    registryTemplate: Template.fromStack(built.registry),
    dataTemplate: Template.fromStack(built.data),
    serviceTemplate: Template.fromStack(built.service)
  }
}
