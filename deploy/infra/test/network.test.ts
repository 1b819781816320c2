import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { synth } from './helper.ts'

const { dataTemplate: template, data } = synth()
const ref = (construct: { securityGroupId: string }) => data.resolve(construct.securityGroupId)

t.test('a VPC over two zones: public, private with egress and isolated subnets, flow logs', async (t) => {
  template.resourceCountIs('AWS::EC2::VPC', 1)
  template.resourceCountIs('AWS::EC2::Subnet', 6)
  template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' })
  t.pass()
})

type Resource = { Type: string, Properties: Record<string, any> }

/** For each private subnet (with egress) of a template: its zone and the zone of the NAT gateway its default route goes to. */
function natZones (resources: Record<string, Resource>): Array<{ subnet: string, zone: string, natZone: string | undefined }> {
  const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type)
  const zone = (subnet: string) => JSON.stringify(resources[subnet].Properties.AvailabilityZone)
  const privates = of('AWS::EC2::Subnet').filter(([, r]) => (r.Properties.Tags as Array<{ Key: string, Value: string }>)
    .some((tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === 'Private'))
  return privates.map(([subnet]) => {
    const table = of('AWS::EC2::SubnetRouteTableAssociation').find(([, r]) => r.Properties.SubnetId.Ref === subnet)?.[1].Properties.RouteTableId.Ref
    const route = of('AWS::EC2::Route').find(([, r]) => r.Properties.RouteTableId.Ref === table && r.Properties.DestinationCidrBlock === '0.0.0.0/0')
    const nat = route?.[1].Properties.NatGatewayId?.Ref as string | undefined
    return { subnet, zone: zone(subnet), natZone: nat && zone(resources[nat].Properties.SubnetId.Ref) }
  })
}

t.test('prod has a NAT gateway in each zone, and each zone\'s tasks go out through their own: losing a zone cuts no other off from ECR, Secrets Manager, CloudWatch', async (t) => {
  const { dataTemplate: prod } = synth({ stage: 'prod' })
  prod.resourceCountIs('AWS::EC2::NatGateway', 2)
  const routes = natZones(prod.toJSON().Resources)
  t.equal(routes.length, 2, 'two private subnets')
  t.equal(new Set(routes.map((r) => r.zone)).size, 2, 'in two zones')
  for (const route of routes) t.equal(route.natZone, route.zone, `${route.subnet}: default route to the NAT gateway of its own zone`)
})

t.test('dev keeps one NAT gateway (cost); natGateways sets the count in either stage', async (t) => {
  template.resourceCountIs('AWS::EC2::NatGateway', 1)
  const routes = natZones(template.toJSON().Resources)
  t.equal(routes.length, 2)
  t.ok(routes.every((r) => r.natZone !== undefined), 'both private subnets go out through the one NAT gateway')
  synth({ natGateways: '2' }).dataTemplate.resourceCountIs('AWS::EC2::NatGateway', 2)
  synth({ stage: 'prod', natGateways: '1' }).dataTemplate.resourceCountIs('AWS::EC2::NatGateway', 1)
})

t.test('the VPC\'s default security group is stripped of its rules', async (t) => {
  template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1)
  template.hasResourceProperties('Custom::VpcRestrictDefaultSG', { DefaultSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkVpc'), 'DefaultSecurityGroup'] } })
  t.pass()
})

t.test('only the load balancer reaches the tasks, on nginx\'s port 80', async (t) => {
  const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as Array<{ Properties: Record<string, unknown> }>
  const toTasks = ingress.filter((r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(ref(data.network.serviceGroup)))
  t.same(toTasks.map((r) => [r.Properties.FromPort, r.Properties.SourceSecurityGroupId]), [[80, ref(data.network.loadBalancerGroup)]])
})

t.test('only the tasks reach PostgreSQL (5432) and Redis (6379); neither may call out', async (t) => {
  const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as Array<{ Properties: Record<string, unknown> }>
  for (const [group, port] of [[data.network.databaseGroup, 5432], [data.network.cacheGroup, 6379]] as const) {
    const rules = ingress.filter((r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(ref(group)))
    t.same(rules.map((r) => [r.Properties.FromPort, r.Properties.ToPort, r.Properties.SourceSecurityGroupId]), [[port, port, ref(data.network.serviceGroup)]])
  }
  template.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: 'PostgreSQL: from the tasks only',
    SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })]
  })
})
