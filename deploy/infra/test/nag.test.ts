// cdk-nag's AwsSolutions rules run on every synth (helper.ts, bin/app.ts): a finding neither
// fixed nor acknowledged fails it. The acknowledgements themselves are listed here, each with
// the construct it sits on, so that a new one is a visible change to this file.
import { Validations } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import * as iam from 'aws-cdk-lib/aws-iam'
import t from 'tap'
import { CERTIFICATE, synth } from './helper.ts'

function acknowledged (extra: Record<string, string>): string[] {
  const { app } = synth(extra)
  return app.node.findAll().flatMap((construct) => construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    // Ours: aws-cdk-lib acknowledges some CloudFormation-Validate findings of its own constructs.
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>).filter(([id]) => id.startsWith('AwsSolutions::')).map(([id, reason]) => {
      t.ok(reason.length > 40, `${id} on ${construct.node.path} has a reason in words`)
      return `${construct.node.path}: ${id.replace(/^AwsSolutions::AwsSolutions-/, '')}`
    }))).sort()
}

// The deploy role's grants (the infrastructure role has them too: npm run deploy migrates), and
// the stacks the infrastructure and diff roles describe.
const DEPLOYS = ['stack/ecs-microservice-STAGE-service/*', '*', 'task-definition/ecs-microservice-STAGE-migrate:*', 'task/ecs-microservice-STAGE/*', 'role/ecs-microservice-STAGE-*', 'log-group:/ecs/ecs-microservice-STAGE/*']
const STACKS = ['ecs-microservice-account', 'ecs-microservice-STAGE-registry', 'ecs-microservice-STAGE-data', 'ecs-microservice-STAGE-service']
const resource = (r: string) => r === '*'
  ? r
  : r.startsWith('stack/')
    ? `arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:${r}`
    : r.startsWith('role/')
      ? `arn:<AWS::Partition>:iam::<AWS::AccountId>:${r}`
      : r.startsWith('log-group:')
        ? `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:${r}`
        : `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:${r}`
const ack = (role: string, r: string) => `ecs-microservice-STAGE-registry/${role}: IAM5[Resource::${resource(r)}]`

const ALWAYS = [
  ...['DeployRole', 'InfraRole'].flatMap((role) => DEPLOYS.map((r) => ack(role, r))),
  ...['InfraRole', 'DiffRole'].flatMap((role) => STACKS.map((stack) => ack(role, `stack/${stack}/*`))),
  ack('DiffRole', '*'),
  'ecs-microservice-STAGE-service/Alarms/Topic: SNS2',
  'ecs-microservice-STAGE-data/Cache/AuthToken: SMG4',
  'ecs-microservice-STAGE-data/Cache/ReplicationGroup: AEC5',
  'ecs-microservice-STAGE-data/Database/Instance: RDS11',
  'ecs-microservice-STAGE-data/Database/Instance: RDS6',
  'ecs-microservice-STAGE-data/Database/Instance: SMG4',
  'ecs-microservice-STAGE-data/AccessLogs/Bucket: S1',
  'ecs-microservice-STAGE-data/Network/LoadBalancer: EC23',
  'ecs-microservice-STAGE-service/Service/ExecutionRole: IAM5[Resource::*]',
  'ecs-microservice-STAGE-service/Service/MigrationExecutionRole: IAM5[Resource::*]',
  'ecs-microservice-STAGE-service/Service/MigrationTask: ECS2',
  'ecs-microservice-STAGE-service/Service/Task: ECS2',
  'ecs-microservice-STAGE-service/Service/TaskRole: IAM5[Resource::*]'
]

t.test('prod with a certificate: only the acknowledgements every stage has', async (t) => {
  t.same(acknowledged({ stage: 'prod', certificateArn: CERTIFICATE }), ALWAYS.map((line) => line.replaceAll('STAGE', 'prod')).sort())
})

t.test('dev without a certificate: also single-AZ data, no deletion protection, HTTP only', async (t) => {
  t.same(acknowledged({}), [...ALWAYS, 'ecs-microservice-STAGE-data/Cache/ReplicationGroup: AEC4', 'ecs-microservice-STAGE-data/Database/Instance: RDS10',
    'ecs-microservice-STAGE-data/Database/Instance: RDS3', 'ecs-microservice-STAGE-service/Edge/LoadBalancer: ELB1'].map((line) => line.replaceAll('STAGE', 'dev')).sort())
})

t.test('an acknowledged IAM5 "*" names, in its reason, every action its role is granted on "*"', async (t) => {
  for (const stage of ['dev', 'prod']) {
    const { app, registry, service } = synth({ stage })
    for (const construct of app.node.findAll()) {
      const reasons = construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>)).filter(([id]) => id === 'AwsSolutions::AwsSolutions-IAM5[Resource::*]').map(([, reason]) => reason)
      if (!reasons.length || !(construct instanceof iam.Role)) continue
      const stack = construct.stack === registry ? registry : service
      const roleId = stack.resolve((construct.node.defaultChild as iam.CfnRole).logicalId)
      const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      const onAll = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[], Resource: unknown }>)
        .filter((s) => [s.Resource].flat().includes('*')).flatMap((s) => [s.Action].flat())
      t.ok(onAll.length, `${construct.node.path}: grants something on "*"`)
      for (const action of onAll) t.ok(reasons.some((reason) => reason.includes(action)), `${construct.node.path}: the reason names ${action}`)
    }
  }
})
