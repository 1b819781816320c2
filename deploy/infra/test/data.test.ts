// The database and the cache.
import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { synth } from './helper.ts'

const dev = synth().serviceTemplate
const prod = synth({ stage: 'prod' }).serviceTemplate

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
  t.equal(Object.keys(synth({ databaseVersion: '17' }).serviceTemplate.findResources('AWS::RDS::DBInstance', { Properties: { EngineVersion: Match.stringLikeRegexp('^17') } })).length, 1, 'databaseVersion 17')
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
