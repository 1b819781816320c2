import { RemovalPolicy, Validations } from 'aws-cdk-lib'
import * as elasticache from 'aws-cdk-lib/aws-elasticache'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import { Construct } from 'constructs'
import type { Settings } from '../settings.ts'
import { REDIS_PORT, type Network } from './network.ts'

/**
 * ElastiCache for Redis OSS (a replication group, the L1 construct: aws-cdk-lib has no L2) in the
 * isolated subnets: in-transit and at-rest encryption, an AUTH token generated into Secrets
 * Manager, and with cacheMultiAz a replica in the other zone with automatic failover.
 */
export class Cache extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup
  readonly authToken: secretsmanager.Secret

  constructor (scope: Construct, id: string, settings: Settings, network: Network) {
    super(scope, id)
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: `Redis AUTH token of ${settings.serviceName}-${settings.stage}`,
      // ElastiCache: 16-128 printable characters, none of @ " / and no spaces.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY
    })
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'isolated subnets of the cache',
      subnetIds: network.vpc.isolatedSubnets.map((s) => s.subnetId)
    })
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: `${settings.serviceName}-${settings.stage} counter cache`,
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: settings.cacheNodeType,
      numCacheClusters: settings.cacheMultiAz ? 2 : 1,
      automaticFailoverEnabled: settings.cacheMultiAz,
      multiAzEnabled: settings.cacheMultiAz,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [network.cacheGroup.securityGroupId],
      port: REDIS_PORT,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      // A dynamic reference, resolved by CloudFormation: the token is never in the template.
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: settings.stage === 'prod' ? 7 : 0,
      autoMinorVersionUpgrade: true
    })

    Validations.of(this.authToken).acknowledge({ id: 'AwsSolutions::AwsSolutions-SMG4', reason: 'No automatic rotation: ECS injects the token when a task starts; a rotation would break running tasks. Rotate by hand with a deploy.' })
    Validations.of(this.replicationGroup).acknowledge({ id: 'AwsSolutions::AwsSolutions-AEC5', reason: 'The standard port: only the tasks\' security group can reach it, from isolated subnets.' })
    if (!settings.cacheMultiAz) Validations.of(this.replicationGroup).acknowledge({ id: 'AwsSolutions::AwsSolutions-AEC4', reason: `Multi-AZ is a setting, off for stage ${settings.stage} (cacheMultiAz): the counter is not critical data.` })
  }
}
