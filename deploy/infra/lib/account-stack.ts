import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import * as ecr from 'aws-cdk-lib/aws-ecr'
import * as iam from 'aws-cdk-lib/aws-iam'
import type { Construct } from 'constructs'
import type { Settings } from './settings.ts'

export const GITHUB_OIDC = 'token.actions.githubusercontent.com'

/** The settings the account stack reads: none of them a stage's, so every stage synthesizes it alike. */
export type AccountSettings = Pick<Settings, 'serviceName' | 'appRepository' | 'nginxRepository' | 'githubOidcProviderExists'>

export interface AccountStackProps extends StackProps {
  settings: AccountSettings
}

/**
 * What one AWS account holds once for every stage, shared on purpose: the two ECR repositories
 * (an image is built once and the same digest deployed to dev, then prod) and GitHub's OIDC
 * provider (IAM allows one per URL and account). Deployed before any stage's stacks; with dev and
 * prod in one account, the second stage's deploy finds it as the first left it (docs/operations.md).
 */
export class AccountStack extends Stack {
  readonly appRepository: ecr.Repository
  readonly nginxRepository: ecr.Repository

  constructor (scope: Construct, id: string, props: AccountStackProps) {
    super(scope, id, props)
    const { settings } = props

    const repository = (id: string, repositoryName: string) => new ecr.Repository(this, id, {
      repositoryName,
      // A tag names one image for ever: a deploy by tag cannot change under anyone's feet.
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.AES_256,
      // Kept when the stack is deleted or the repository replaced, not when its first create
      // fails: the stack's create can then be retried (CloudFormation's RetainExceptOnCreate).
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lifecycleRules: [
        { description: 'untagged layers of failed pushes', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7), rulePriority: 1 },
        { description: 'keep the last 100 images: rollbacks reach that far back', tagStatus: ecr.TagStatus.ANY, maxImageCount: 100, rulePriority: 2 }
      ]
    })
    this.appRepository = repository('AppRepository', settings.appRepository)
    this.nginxRepository = repository('NginxRepository', settings.nginxRepository)

    // One provider per account: npm run deploy sets githubOidcProviderExists when the account has
    // one this stack did not create (scripts/deploy.sh), and the deploy roles then trust that one.
    if (!settings.githubOidcProviderExists) {
      const provider = new iam.CfnOIDCProvider(this, 'GitHubOidcProvider', { url: `https://${GITHUB_OIDC}`, clientIdList: ['sts.amazonaws.com'] })
      provider.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
    }

    new CfnOutput(this, 'AppRepositoryUri', { value: this.appRepository.repositoryUri })
    new CfnOutput(this, 'NginxRepositoryUri', { value: this.nginxRepository.repositoryUri })
    new CfnOutput(this, 'GitHubOidcProviderOrigin', { value: settings.githubOidcProviderExists ? 'imported' : 'created', description: 'created: this stack owns GitHub\'s OIDC provider of the account; imported: it was there before' })
  }
}
