import { Stack, Validations, type StackProps } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import type { Settings } from './settings.ts'
import { Network } from './constructs/network.ts'
import { Database } from './constructs/database.ts'
import { Cache } from './constructs/cache.ts'
import { AccessLogs } from './constructs/access-logs.ts'

export interface DataStackProps extends StackProps {
  settings: Settings
}

/**
 * The stage's stateful resources, in a stack of their own as the CDK guide advises: the VPC
 * they live in, the database, the cache and the bucket of the load balancer's and WAF's access logs. Termination protection in prod (CloudFormation
 * refuses to delete the stack until it is turned off); the service stack uses them, so no
 * change to the service, its scaling or its load balancer ever touches them.
 */
export class DataStack extends Stack {
  readonly network: Network
  readonly database: Database
  readonly cache: Cache
  readonly accessLogs: AccessLogs

  constructor (scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { terminationProtection: props.settings.stage === 'prod', ...props })
    const { settings } = props
    const { stage } = settings
    this.network = new Network(this, 'Network', { stage, logRetentionDays: settings.logRetentionDays, natGateways: settings.natGateways, https: Boolean(settings.certificateArn) })
    const { vpc } = this.network
    this.database = new Database(this, 'Database', {
      stage,
      version: settings.databaseVersion,
      instanceType: settings.databaseInstanceType,
      storageGb: settings.databaseStorageGb,
      multiAz: settings.databaseMultiAz,
      backupDays: settings.databaseBackupDays,
      vpc,
      securityGroup: this.network.databaseGroup
    })
    this.cache = new Cache(this, 'Cache', { name: `${settings.serviceName}-${stage}`, stage, nodeType: settings.cacheNodeType, multiAz: settings.cacheMultiAz, vpc, securityGroup: this.network.cacheGroup })
    this.accessLogs = new AccessLogs(this, 'AccessLogs', { prefix: `${settings.serviceName}-${settings.stage}`, retentionDays: settings.accessLogRetentionDays, retain: settings.stage === 'prod' })
    Validations.of(this.network.loadBalancerGroup).acknowledge({ id: 'AwsSolutions::AwsSolutions-EC23', reason: 'The internet-facing load balancer takes HTTP(S) from anywhere, behind the WAF web ACL; nothing else is open to the internet.' })
  }
}
