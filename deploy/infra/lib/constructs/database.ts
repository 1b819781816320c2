import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as rds from 'aws-cdk-lib/aws-rds'
import { Construct } from 'constructs'
import type { Settings } from '../settings.ts'
import { POSTGRES_PORT } from './network.ts'

export const DATABASE_NAME = 'app'

export interface DatabaseProps {
  /** prod: deletion protection and a final snapshot. */
  readonly stage: Settings['stage']
  readonly version: Settings['databaseVersion']
  readonly instanceType: string
  readonly storageGb: number
  readonly multiAz: boolean
  readonly backupDays: number
  /** Its isolated subnets hold the instance. */
  readonly vpc: ec2.IVpc
  readonly securityGroup: ec2.ISecurityGroup
}

/**
 * RDS PostgreSQL in the isolated subnets: storage encrypted, credentials generated into Secrets
 * Manager, TLS forced (rds.force_ssl), automated backups; in production deletion protection
 * and a final snapshot. Multi-AZ is a setting.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance

  constructor (scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id)
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: props.version === '17' ? rds.PostgresEngineVersion.VER_17 : rds.PostgresEngineVersion.VER_16
    })
    const production = props.stage === 'prod'
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: new ec2.InstanceType(props.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      port: POSTGRES_PORT,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('app'),
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        parameters: { 'rds.force_ssl': '1' }
      }),
      storageEncrypted: true,
      allocatedStorage: props.storageGb,
      maxAllocatedStorage: props.storageGb * 2,
      storageType: rds.StorageType.GP3,
      multiAz: props.multiAz,
      backupRetention: Duration.days(props.backupDays),
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: false
    })

    const acknowledge = (rule: string, reason: string) => Validations.of(this.instance).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason })
    acknowledge('SMG4', 'No automatic rotation: ECS injects the password when a task starts, so a rotation would break every running task until the next deploy. Rotate by hand with a deploy.')
    acknowledge('RDS6', 'The service signs in with the generated password from Secrets Manager; IAM authentication would need a token refresh in the pool for no gain here.')
    acknowledge('RDS11', 'The standard port: only the tasks\' security group can reach it, from isolated subnets.')
    if (!props.multiAz) acknowledge('RDS3', `Multi-AZ is a setting, off for stage ${props.stage} (databaseMultiAz).`)
    if (!production) acknowledge('RDS10', 'Deletion protection is for production; a dev database is thrown away with its stack.')
  }
}
