import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { synth } from './helper.ts'

const { accountTemplate, registryTemplate: template } = synth()

t.test('the account stack: the app and nginx repositories, immutable tags, scan on push, a lifecycle rule, kept unless their create fails', async (t) => {
  for (const name of ['ecs-microservices/app', 'ecs-microservices/nginx']) {
    accountTemplate.hasResource('AWS::ECR::Repository', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain', Properties: Match.objectLike({ RepositoryName: name }) })
    accountTemplate.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: name,
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
      LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('imageCountMoreThan') }
    })
  }
  t.pass('both repositories as promised')
})

t.test('the deploy role can be assumed only through GitHub OIDC by the configured repository and environment', async (t) => {
  accountTemplate.hasResource('AWS::IAM::OIDCProvider', { DeletionPolicy: 'RetainExceptOnCreate', Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] } })
  template.resourceCountIs('AWS::ECR::Repository', 0)
  template.hasResourceProperties('AWS::IAM::Role', {
    RoleName: 'ecs-microservice-dev-github-deploy',
    AssumeRolePolicyDocument: {
      Statement: [Match.objectLike({
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:acme/ecs-microservice:environment:production'
          }
        }
      })]
    }
  })
  t.equal(Object.keys(template.findResources('AWS::IAM::AccessKey')).length, 0, 'no access key anywhere')
  t.equal(Object.keys(template.findResources('AWS::IAM::User')).length, 0, 'no IAM user')
})

t.test('the deploy role may push, run the migration task and update the service, nothing broader', async (t) => {
  // The deploy role's own policy (the infrastructure and diff roles have theirs).
  const deployRole = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'ecs-microservice-dev-github-deploy' } }))[0]
  const [policy] = (Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: Array<{ Ref: string }>, PolicyDocument: { Statement: Array<{ Action: string | string[], Resource: unknown }> } } }>)
    .filter((p) => p.Properties.Roles.some((r) => r.Ref === deployRole))
  const actions = policy.Properties.PolicyDocument.Statement.flatMap((s) => ([] as string[]).concat(s.Action)).sort()
  t.same([...new Set(actions)], [
    'cloudformation:DescribeStacks', 'ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:CompleteLayerUpload', 'ecr:DescribeImages', 'ecr:GetAuthorizationToken',
    'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart',
    'ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:DescribeTasks', 'ecs:RegisterTaskDefinition', 'ecs:RunTask', 'ecs:StopTask', 'ecs:UpdateService',
    'iam:PassRole', 'logs:GetLogEvents'
  ].sort())
  const passRole = policy.Properties.PolicyDocument.Statement.find((s) => s.Action === 'iam:PassRole') as unknown as { Condition: unknown }
  t.same(passRole.Condition, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } })
})

t.test('an account that has GitHub\'s OIDC provider already imports it instead, and the deploy role trusts that one', async (t) => {
  const { accountTemplate, registryTemplate } = synth({ githubOidcProviderExists: 'true' })
  t.equal(Object.keys(accountTemplate.findResources('AWS::IAM::OIDCProvider')).length, 0)
  accountTemplate.hasOutput('GitHubOidcProviderOrigin', { Value: 'imported' })
  t.same(registryTemplate.toJSON().Resources, template.toJSON().Resources, 'the same deploy role either way')
})

// The properties that name a resource once in an account and region (Family: a task definition's).
const UNIQUE = ['RoleName', 'RepositoryName', 'ClusterName', 'LogGroupName', 'DashboardName', 'TopicName', 'AlarmName', 'Family', 'SecretName', 'DBInstanceIdentifier', 'ReplicationGroupId', 'Name']

t.test('dev and prod in one account share the account stack: both synthesize it alike, and nothing else of theirs has the same name', async (t) => {
  const dev = synth({ stage: 'dev' })
  const prod = synth({ stage: 'prod' })
  t.same(dev.accountTemplate.toJSON(), prod.accountTemplate.toJSON())
  t.equal(dev.account.stackName, prod.account.stackName)
  const named = (built: ReturnType<typeof synth>) => [built.registryTemplate, built.serviceTemplate].flatMap((tpl) => Object.values(tpl.toJSON().Resources as Record<string, { Type: string, Properties?: Record<string, unknown> }>)
    .flatMap((r) => Object.entries(r.Properties ?? {}).filter(([key, value]) => UNIQUE.includes(key) && typeof value === 'string' && (key !== 'Family' || r.Type === 'AWS::ECS::TaskDefinition')).map(([key, value]) => `${r.Type} ${key}=${value as string}`)))
  const prodNames = new Set(named(prod))
  t.same(named(dev).filter((n) => prodNames.has(n)), [], 'no name of dev\'s is also prod\'s')
  t.ok(named(dev).length >= 10, `${named(dev).length} names compared`)
})

t.test('outputs: repository URIs (account stack) and the deploy role ARN', async (t) => {
  for (const name of ['AppRepositoryUri', 'NginxRepositoryUri', 'GitHubOidcProviderOrigin']) accountTemplate.hasOutput(name, {})
  template.hasOutput('DeployRoleArn', {})
  t.pass()
})

// The Infrastructure workflow (docs/operations.md, "CI/CD (GitHub Actions)"): cdk diff on pull requests with a role that only
// reads, cdk deploy in an environment of its own with a role that may assume the CDK's
// bootstrap roles (and migrate, as npm run deploy does).
t.test('the infrastructure role: its own environment, the CDK bootstrap roles of this account and region; the diff role: pull requests, reads only', async (t) => {
  const trust = (name: string) => (Object.values(template.findResources('AWS::IAM::Role', { Properties: { RoleName: name } }))[0] as { Properties: { AssumeRolePolicyDocument: { Statement: Array<{ Condition: { StringEquals: Record<string, string> } }> } } })
    .Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']
  t.equal(trust('ecs-microservice-dev-github-infra'), 'repo:acme/ecs-microservice:environment:infrastructure')
  t.equal(trust('ecs-microservice-dev-github-diff'), 'repo:acme/ecs-microservice:pull_request')
  t.equal(trust('ecs-microservice-dev-github-deploy'), 'repo:acme/ecs-microservice:environment:production', 'the deploy role keeps its environment')

  const actionsOf = (roleId: string) => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: Array<{ Ref: string }>, PolicyDocument: { Statement: Array<{ Action: string | string[], Resource: unknown }> } } }>
    return policies.filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement)
  }
  const id = (name: string) => Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: name } }))[0]
  const diff = actionsOf(id('ecs-microservice-dev-github-diff'))
  t.same([...new Set(diff.flatMap((s) => ([] as string[]).concat(s.Action)))].sort(), ['cloudformation:DescribeStacks', 'ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'sts:AssumeRole'])
  const assumed = (statements: typeof diff) => JSON.stringify(statements.filter((s) => s.Action === 'sts:AssumeRole').map((s) => s.Resource))
  t.match(assumed(diff), /cdk-hnb659fds-lookup-role-/)
  t.notMatch(assumed(diff), /deploy-role|publishing-role/, 'the diff role cannot deploy')
  const infra = actionsOf(id('ecs-microservice-dev-github-infra'))
  for (const kind of ['deploy', 'file-publishing', 'image-publishing', 'lookup']) t.match(assumed(infra), `cdk-hnb659fds-${kind}-role-`, `infra: the bootstrap ${kind} role`)
})
