import { RemovalPolicy, Validations } from 'aws-cdk-lib'
import * as elasticache from 'aws-cdk-lib/aws-elasticache'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import { Construct } from 'constructs'
import type * as ec2 from 'aws-cdk-lib/aws-ec2'
import type { Settings } from '../settings.ts'
import { REDIS_PORT } from './network.ts'

export interface CacheProps {
  /** `<service>-<stage>`: in the descriptions of the token and the replication group. */
  readonly name: string
  /** prod keeps 7 days of snapshots. */
  readonly stage: Settings['stage']
  readonly nodeType: string
  readonly multiAz: boolean
  /** Its isolated subnets hold the nodes. */
  readonly vpc: ec2.IVpc
  readonly securityGroup: ec2.ISecurityGroup
}

/**
 * ElastiCache for Redis OSS (a replication group, the L1 construct: aws-cdk-lib has no L2) in the
 * isolated subnets: in-transit and at-rest encryption, an AUTH token generated into Secrets
 * Manager, and with cacheMultiAz a replica in the other zone with automatic failover.
 */
export class Cache extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup
  readonly authToken: secretsmanager.Secret

  constructor (scope: Construct, id: string, props: CacheProps) {
    super(scope, id)
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: `Redis AUTH token of ${props.name}`,
      // ElastiCache: 16-128 printable characters, none of @ " / and no spaces.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY
    })
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'isolated subnets of the cache',
      subnetIds: props.vpc.isolatedSubnets.map((s) => s.subnetId)
    })
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: `${props.name} counter cache`,
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: props.nodeType,
      numCacheClusters: props.multiAz ? 2 : 1,
      automaticFailoverEnabled: props.multiAz,
      multiAzEnabled: props.multiAz,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [props.securityGroup.securityGroupId],
      port: REDIS_PORT,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      // A dynamic reference, resolved by CloudFormation: the token is never in the template.
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: props.stage === 'prod' ? 7 : 0,
      autoMinorVersionUpgrade: true
    })

    Validations.of(this.authToken).acknowledge({ id: 'AwsSolutions::AwsSolutions-SMG4', reason: 'No automatic rotation: ECS injects the token when a task starts; a rotation would break running tasks. Rotate by hand with a deploy.' })
    Validations.of(this.replicationGroup).acknowledge({ id: 'AwsSolutions::AwsSolutions-AEC5', reason: 'The standard port: only the tasks\' security group can reach it, from isolated subnets.' })
    if (!props.multiAz) Validations.of(this.replicationGroup).acknowledge({ id: 'AwsSolutions::AwsSolutions-AEC4', reason: `Multi-AZ is a setting, off for stage ${props.stage} (cacheMultiAz): the counter is not critical data.` })
  }
}
