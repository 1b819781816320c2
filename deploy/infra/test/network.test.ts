import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { synth } from './helper.ts'

const { serviceTemplate: template, service } = synth()
const ref = (construct: { securityGroupId: string }) => service.resolve(construct.securityGroupId)

t.test('a VPC over two zones: public, private with egress and isolated subnets, one NAT gateway by default, flow logs', async (t) => {
  template.resourceCountIs('AWS::EC2::VPC', 1)
  template.resourceCountIs('AWS::EC2::Subnet', 6)
  template.resourceCountIs('AWS::EC2::NatGateway', 1)
  template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' })
  const { serviceTemplate } = synth({ natGateways: '2' })
  serviceTemplate.resourceCountIs('AWS::EC2::NatGateway', 2)
  t.pass()
})

t.test('the VPC\'s default security group is stripped of its rules', async (t) => {
  template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1)
  template.hasResourceProperties('Custom::VpcRestrictDefaultSG', { DefaultSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkVpc'), 'DefaultSecurityGroup'] } })
  t.pass()
})

t.test('only the load balancer reaches the tasks, on nginx\'s port 80', async (t) => {
  const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as Array<{ Properties: Record<string, unknown> }>
  const toTasks = ingress.filter((r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(ref(service.network.serviceGroup)))
  t.same(toTasks.map((r) => [r.Properties.FromPort, r.Properties.SourceSecurityGroupId]), [[80, ref(service.network.loadBalancerGroup)]])
})

t.test('only the tasks reach PostgreSQL (5432) and Redis (6379); neither may call out', async (t) => {
  const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as Array<{ Properties: Record<string, unknown> }>
  for (const [group, port] of [[service.network.databaseGroup, 5432], [service.network.cacheGroup, 6379]] as const) {
    const rules = ingress.filter((r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(ref(group)))
    t.same(rules.map((r) => [r.Properties.FromPort, r.Properties.ToPort, r.Properties.SourceSecurityGroupId]), [[port, port, ref(service.network.serviceGroup)]])
  }
  template.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: 'PostgreSQL: from the tasks only',
    SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })]
  })
})
