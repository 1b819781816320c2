// The database and the cache.
import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { synth } from './helper.ts'

const dev = synth().dataTemplate
const prod = synth({ stage: 'prod' }).dataTemplate

t.test('RDS PostgreSQL 16: encrypted, generated credentials in Secrets Manager, TLS forced, backups, isolated subnets', async (t) => {
  dev.hasResourceProperties('AWS::RDS::DBInstance', {
    Engine: 'postgres',
    EngineVersion: Match.stringLikeRegexp('^16'),
    StorageEncrypted: true,
    BackupRetentionPeriod: 1,
    MultiAZ: false,
    PubliclyAccessible: false,
    MasterUserPassword: Match.objectLike({ 'Fn::Join': Match.anyValue() })
  })
  dev.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"app"}' }) })
  dev.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } })
  t.equal(Object.keys(synth({ databaseVersion: '17' }).dataTemplate.findResources('AWS::RDS::DBInstance', { Properties: { EngineVersion: Match.stringLikeRegexp('^17') } })).length, 1, 'databaseVersion 17')
})

t.test('production: deletion protection, a final snapshot, Multi-AZ, two weeks of backups', async (t) => {
  prod.hasResource('AWS::RDS::DBInstance', {
    DeletionPolicy: 'Snapshot',
    Properties: Match.objectLike({ DeletionProtection: true, MultiAZ: true, BackupRetentionPeriod: 14 })
  })
  dev.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtection: false }) })
  t.pass()
})

t.test('ElastiCache: in-transit and at-rest encryption, AUTH token from Secrets Manager, failover with Multi-AZ as a setting', async (t) => {
  const common = { TransitEncryptionEnabled: true, AtRestEncryptionEnabled: true, AuthToken: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')])]) }) }
  dev.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { ...common, NumCacheClusters: 1, AutomaticFailoverEnabled: false, MultiAZEnabled: false })
  prod.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { ...common, NumCacheClusters: 2, AutomaticFailoverEnabled: true, MultiAZEnabled: true })
  dev.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 64 } })
  t.pass()
})

// The CDK guide: stateful resources in a stack of their own, with termination protection, so
// that no change to the service, and no mistaken `cdk destroy`, takes the data with it.
t.test('the VPC, database and cache are the data stack\'s, with termination protection in prod; the service stack has none of them', async (t) => {
  const built = { dev: synth(), prod: synth({ stage: 'prod' }) }
  t.equal(built.dev.data.stackName, 'ecs-microservice-dev-data')
  t.equal(built.prod.data.terminationProtection, true, 'prod: termination protection')
  t.equal(built.dev.data.terminationProtection, false, 'dev: thrown away at will')
  t.equal(built.prod.service.terminationProtection, false, 'the service stack can be replaced')
  for (const type of ['AWS::EC2::VPC', 'AWS::RDS::DBInstance', 'AWS::ElastiCache::ReplicationGroup']) {
    built.prod.dataTemplate.resourceCountIs(type, 1)
    built.prod.serviceTemplate.resourceCountIs(type, 0)
  }
  t.ok(built.prod.service.dependencies.includes(built.prod.data), 'the service stack is deployed after the data stack')
})

t.test('the access-log bucket: SSE-S3 (what ELB supports), no public access or ACLs, logs deleted after accessLogRetentionDays, kept in prod', async (t) => {
  const bucket = (template: typeof dev) => Object.values(template.findResources('AWS::S3::Bucket'))
  for (const [template, days, deletion] of [[dev, 30, 'Delete'], [prod, 365, 'RetainExceptOnCreate']] as const) {
    const [only, ...more] = bucket(template)
    t.equal(more.length, 0, 'one bucket')
    t.match(only, {
      DeletionPolicy: deletion,
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: { Rules: [{ Status: 'Enabled', ExpirationInDays: days }] }
      }
    }, `${days} days, DeletionPolicy ${deletion}`)
  }
  t.match(bucket(synth({ accessLogRetentionDays: '7' }).dataTemplate)[0], { Properties: { LifecycleConfiguration: { Rules: [{ ExpirationInDays: 7 }] } } }, 'accessLogRetentionDays=7')
})
