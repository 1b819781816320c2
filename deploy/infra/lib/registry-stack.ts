import { ArnFormat, Aws, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib'
import * as ecr from 'aws-cdk-lib/aws-ecr'
import * as iam from 'aws-cdk-lib/aws-iam'
import type { Construct } from 'constructs'
import type { Settings } from './settings.ts'
import { names } from './names.ts'
import { GITHUB_OIDC } from './account-stack.ts'

export interface RegistryStackProps extends StackProps {
  settings: Settings
}

// The CDK bootstrap stack's roles (`cdk bootstrap`'s default qualifier), which cdk deploy and
// cdk diff assume: the lookup role only reads (ReadOnlyAccess, no kms:Decrypt).
const BOOTSTRAP_QUALIFIER = 'hnb659fds'

/**
 * A stage's GitHub roles, assumed through GitHub's OIDC provider of the account stack, deployed
 * before the service: the deploy role (the Deploy workflow: push to the account's repositories,
 * run the stage's migration task, deploy its service), the infrastructure role (the
 * Infrastructure workflow's cdk deploy of the stacks, in an environment of its own) and the diff
 * role (cdk diff on pull requests: reads only). (The name "registry" is the stack's since it held
 * the repositories too; renaming it would replace the roles.)
 */
export class RegistryStack extends Stack {
  readonly deployRole: iam.Role
  readonly infraRole: iam.Role
  readonly diffRole: iam.Role

  constructor (scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props)
    const { settings } = props
    const n = names(settings)

    // The account stack's repositories and GitHub's OIDC provider, by name (it is deployed first).
    const repositories = [n.appRepository, n.nginxRepository].map((name, i) => ecr.Repository.fromRepositoryName(this, i ? 'NginxRepository' : 'AppRepository', name))
    const providerArn = this.formatArn({ service: 'iam', region: '', resource: 'oidc-provider', resourceName: GITHUB_OIDC })

    // A role only GitHub's jobs of this repository with this OIDC subject can assume: a job in
    // an environment (which can require reviewers, and admit only main), or a pull request's.
    const githubRole = (id: string, name: string, subject: string, description: string) => new iam.Role(this, id, {
      roleName: `${n.rolePrefix}github-${name}`,
      description,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(providerArn, {
        StringEquals: { [`${GITHUB_OIDC}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC}:sub`]: `repo:${settings.githubRepository}:${subject}` }
      })
    })
    this.deployRole = githubRole('DeployRole', 'deploy', `environment:${settings.githubEnvironment}`,
      `Assumed by GitHub Actions of ${settings.githubRepository} (environment ${settings.githubEnvironment}) to push images, migrate and deploy`)
    this.infraRole = githubRole('InfraRole', 'infra', `environment:${settings.githubInfraEnvironment}`,
      `Assumed by GitHub Actions of ${settings.githubRepository} (environment ${settings.githubInfraEnvironment}) to cdk deploy the stacks`)
    this.diffRole = githubRole('DiffRole', 'diff', 'pull_request',
      `Assumed by GitHub Actions of ${settings.githubRepository} on pull requests to cdk diff the stacks (reads only)`)

    // The stacks npm run deploy describes (the account stack's OIDC provider, the service stack's
    // outputs) and the CDK bootstrap roles cdk assumes, in this account and region.
    const stacks = () => new iam.PolicyStatement({
      actions: ['cloudformation:DescribeStacks'],
      resources: [n.accountStack, ...n.stacks].map((name) => this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` }))
    })
    const bootstrap = (...kinds: string[]) => new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: kinds.map((kind) => this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `cdk-${BOOTSTRAP_QUALIFIER}-${kind}-role-${Aws.ACCOUNT_ID}-${Aws.REGION}` }))
    })
    const ecsArn = (resource: string, resourceName: string) => this.formatArn({ service: 'ecs', resource, resourceName })
    // The diff role: what npm run deploy --diff reads (the images the service runs) and the
    // bootstrap lookup role, through which cdk diff reads the deployed templates.
    this.diffRole.addToPolicy(stacks())
    this.diffRole.addToPolicy(bootstrap('lookup'))
    this.diffRole.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [ecsArn('service', `${n.cluster}/${n.service}`)] }))
    this.diffRole.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }))
    // The infrastructure role: npm run deploy runs the migrations as the Deploy workflow does
    // (the deploy role's grants below), and cdk deploy through the bootstrap roles.
    this.infraRole.addToPolicy(stacks())
    this.infraRole.addToPolicy(bootstrap('deploy', 'file-publishing', 'image-publishing', 'lookup'))
    // A data stack whose first create failed is deleted and created again by cdk deploy: npm run
    // deploy turns its termination protection off first (the new create sets it again).
    this.infraRole.addToPolicy(new iam.PolicyStatement({
      actions: ['cloudformation:UpdateTerminationProtection'],
      resources: [this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${n.stacks[1]}/*` })]
    }))

    for (const role of [this.deployRole, this.infraRole]) this.grantDeploy(role, settings, repositories)
    new CfnOutput(this, 'DeployRoleArn', { value: this.deployRole.roleArn, description: 'AWS_DEPLOY_ROLE_ARN of the GitHub repository variables' })
    new CfnOutput(this, 'InfraRoleArn', { value: this.infraRole.roleArn, description: 'AWS_INFRA_ROLE_ARN of the GitHub repository variables' })
    new CfnOutput(this, 'DiffRoleArn', { value: this.diffRole.roleArn, description: 'AWS_DIFF_ROLE_ARN of the GitHub repository variables' })
    const wildcard = (role: iam.Role, resource: string, reason: string) => Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`, reason })
    const stackIds = 'each stack named by its name, any stack id (a stack\'s ARN ends in an id CloudFormation gives it)'
    for (const role of [this.infraRole, this.diffRole]) {
      for (const name of [n.accountStack, ...n.stacks]) wildcard(role, `arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${name}/*`, `DescribeStacks on the stacks npm run deploy reads${role === this.infraRole && name === n.stacks[1] ? ', and UpdateTerminationProtection on the data stack (after a failed first create)' : ''}: ${stackIds}.`)
    }
    wildcard(this.diffRole, '*', 'ecs:DescribeTaskDefinition has no resource-level permission (ECS takes "*" for it): the diff reads the images the service runs.')
  }

  /** Push to the repositories, run the stage's migration task, deploy its service. */
  private grantDeploy (role: iam.Role, settings: Settings, repositories: ecr.IRepository[]): void {
    const n = names(settings)
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
  }
}
