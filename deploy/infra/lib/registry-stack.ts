import { ArnFormat, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib'
import * as ecr from 'aws-cdk-lib/aws-ecr'
import * as iam from 'aws-cdk-lib/aws-iam'
import type { Construct } from 'constructs'
import type { Settings } from './settings.ts'
import { names } from './names.ts'
import { GITHUB_OIDC } from './account-stack.ts'

export interface RegistryStackProps extends StackProps {
  settings: Settings
}

/**
 * A stage's deploy role, the one the deploy workflow assumes (through GitHub's OIDC provider of
 * the account stack), deployed before the service: push to the account's repositories, run the
 * stage's migration task, deploy its service. (The name "registry" is the stack's since it held
 * the repositories too; renaming it would replace the role.)
 */
export class RegistryStack extends Stack {
  readonly deployRole: iam.Role

  constructor (scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props)
    const { settings } = props
    const n = names(settings)

    // The account stack's repositories and GitHub's OIDC provider, by name (it is deployed first).
    const repositories = [n.appRepository, n.nginxRepository].map((name, i) => ecr.Repository.fromRepositoryName(this, i ? 'NginxRepository' : 'AppRepository', name))
    const providerArn = this.formatArn({ service: 'iam', region: '', resource: 'oidc-provider', resourceName: GITHUB_OIDC })

    this.deployRole = new iam.Role(this, 'DeployRole', {
      roleName: `${n.rolePrefix}github-deploy`,
      description: `Assumed by GitHub Actions of ${settings.githubRepository} (environment ${settings.githubEnvironment}) to push images, migrate and deploy`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(providerArn, {
        StringEquals: {
          [`${GITHUB_OIDC}:aud`]: 'sts.amazonaws.com',
          // Only jobs of this repository running in this environment (which can require reviewers).
          [`${GITHUB_OIDC}:sub`]: `repo:${settings.githubRepository}:environment:${settings.githubEnvironment}`
        }
      })
    })
    const role = this.deployRole
    // Push: the login token is account-wide by design; the pushes only to these two repositories.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }))
    // …and a rollback by tag looks the digests up (deploy/ci/resolve-images.sh: ecr:DescribeImages).
    for (const repository of repositories) {
      repository.grantPullPush(role)
      repository.grant(role, 'ecr:DescribeImages')
    }
    // Task definitions: registering and describing cannot be scoped to a family (ECS has no
    // resource-level permission for them); running, only the migration family.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'], resources: ['*'] }))
    const ecsArn = (resource: string, resourceName: string) => this.formatArn({ service: 'ecs', resource, resourceName })
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: [ecsArn('task-definition', `${n.migrationFamily}:*`)] }))
    // Watching the migration task, and stopping it once past its bound (deploy/ci/migrate.sh).
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTasks', 'ecs:StopTask'], resources: [ecsArn('task', `${n.cluster}/*`)] }))
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateService', 'ecs:DescribeServices'], resources: [ecsArn('service', `${n.cluster}/${n.service}`)] }))
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${n.rolePrefix}*` })],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }
    }))
    // The service stack's outputs: the migration task's subnets and security group.
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['cloudformation:DescribeStacks'],
      resources: [this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${n.cluster}-service/*` })]
    }))
    // The migration task's output, to show why it failed.
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:GetLogEvents'],
      resources: [this.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/ecs/${n.cluster}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })]
    }))
    // Each wildcard acknowledged by name, so a new one fails synth.
    const wildcards = ['*', `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/${n.migrationFamily}:*`,
      `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/${n.cluster}/*`,
      `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/${n.rolePrefix}*`,
      `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/ecs/${n.cluster}/*`,
      `arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${n.cluster}-service/*`]
    for (const resource of wildcards) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason: 'Wildcards only where AWS offers no narrower resource: ecr:GetAuthorizationToken, ecs:RegisterTaskDefinition and ecs:DescribeTaskDefinition take "*"; the rest name this service\'s migration family (any revision), tasks of its cluster, its roles (by name prefix, passed to ECS only), its log groups and its service stack (any stack id).'
      })
    }

    new CfnOutput(this, 'DeployRoleArn', { value: role.roleArn, description: 'AWS_DEPLOY_ROLE_ARN of the GitHub repository variables' })
  }
}
