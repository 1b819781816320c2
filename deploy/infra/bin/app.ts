// The CDK app: `npx cdk synth -c stage=dev|prod -c githubRepository=owner/name
// -c appImageDigest=sha256:... -c nginxImageDigest=sha256:...` (docs/operations.md, "Deploy to AWS").
// Stacks are environment-agnostic (no lookups): synth runs anywhere, with no credentials.
import { App, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import { buildApp } from '../lib/app.ts'

const app = new App()
buildApp(app)
Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
app.synth()
