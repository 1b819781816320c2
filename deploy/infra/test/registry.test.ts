import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { synth } from './helper.ts'

const { registryTemplate: template } = synth()

t.test('the app and nginx repositories: immutable tags, scan on push, a lifecycle rule', async (t) => {
  for (const name of ['ecs-microservices/app', 'ecs-microservices/nginx']) {
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: name,
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
      LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('imageCountMoreThan') }
    })
  }
  t.pass('both repositories as promised')
})

t.test('the deploy role can be assumed only through GitHub OIDC by the configured repository and environment', async (t) => {
  template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] })
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
  const [policy] = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[], Resource: unknown }> } } }>
  const actions = policy.Properties.PolicyDocument.Statement.flatMap((s) => ([] as string[]).concat(s.Action)).sort()
  t.same([...new Set(actions)], [
    'cloudformation:DescribeStacks', 'ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:CompleteLayerUpload', 'ecr:DescribeImages', 'ecr:GetAuthorizationToken',
    'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart',
    'ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:DescribeTasks', 'ecs:RegisterTaskDefinition', 'ecs:RunTask', 'ecs:UpdateService',
    'iam:PassRole', 'logs:GetLogEvents'
  ].sort())
  const passRole = policy.Properties.PolicyDocument.Statement.find((s) => s.Action === 'iam:PassRole') as unknown as { Condition: unknown }
  t.same(passRole.Condition, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } })
})

t.test('an account that has GitHub\'s OIDC provider already imports it instead', async (t) => {
  const { registryTemplate } = synth({ githubOidcProviderExists: 'true' })
  t.equal(Object.keys(registryTemplate.findResources('AWS::IAM::OIDCProvider')).length, 0)
})

t.test('outputs: repository URIs and the deploy role ARN', async (t) => {
  for (const name of ['AppRepositoryUri', 'NginxRepositoryUri', 'DeployRoleArn']) template.hasOutput(name, {})
  t.pass()
})
