import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { CERTIFICATE, DOMAIN, synth } from './helper.ts'

const http = synth().serviceTemplate
const https = synth({ certificateArn: CERTIFICATE, domainName: DOMAIN }).serviceTemplate

// The smoke test requests ServiceUrl: a certificate covers the domain name, never the load
// balancer's own DNS name, so with HTTPS the URL is the domain's.
t.test('ServiceUrl is https://domainName with a certificate; HTTP only at the load balancer\'s name without, and the output says so', async (t) => {
  const url = (template: typeof http) => template.toJSON().Outputs.ServiceUrl as { Value: unknown, Description: string }
  t.same(url(https).Value, `https://${DOMAIN}`)
  t.match(url(https).Description, /HTTPS at api\.example\.com/)
  t.match(url(https).Description, /point api\.example\.com at LoadBalancerDnsName in your DNS/, 'no hosted zone: the record is the user\'s to make')
  t.match(JSON.stringify(url(http).Value), /"http:\/\/",\{"Fn::GetAtt":\["EdgeLoadBalancer[0-9A-F]+","DNSName"\]/)
  t.match(url(http).Description, /HTTP only, no certificateArn and domainName set/)
  const named = synth({ domainName: DOMAIN }).serviceTemplate
  t.same(url(named).Value, `http://${DOMAIN}`, 'dev with a name and no certificate: HTTP at the name')
  t.ok(https.toJSON().Outputs.LoadBalancerDnsName, 'the load balancer\'s own name is an output, for a DNS record made elsewhere')
})

t.test('with a hosted zone, domainName is an alias record of the load balancer in it; without one, no record', async (t) => {
  const zoned = synth({ certificateArn: CERTIFICATE, domainName: DOMAIN, hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' }).serviceTemplate
  zoned.resourceCountIs('AWS::Route53::RecordSet', 1)
  zoned.hasResourceProperties('AWS::Route53::RecordSet', {
    Name: `${DOMAIN}.`,
    Type: 'A',
    HostedZoneId: 'Z0123456789ABCDEFGHIJ',
    AliasTarget: { DNSName: Match.anyValue(), HostedZoneId: { 'Fn::GetAtt': [Match.stringLikeRegexp('EdgeLoadBalancer'), 'CanonicalHostedZoneID'] } }
  })
  t.notMatch((zoned.toJSON().Outputs.ServiceUrl as { Description: string }).Description, /point .* in your DNS/)
  https.resourceCountIs('AWS::Route53::RecordSet', 0)
  t.pass()
})

t.test('HTTPS with the certificate of the settings, HTTP redirected to it', async (t) => {
  https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERTIFICATE }] })
  https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })] })
  t.pass()
})

t.test('HTTP only when no certificate is given', async (t) => {
  http.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1)
  http.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'forward' })] })
  t.pass()
})

t.test('idle timeout below nginx\'s keep-alive; the target\'s check is whether the task can serve (/health/started), not whether a shared dependency is up; deregistration delay below stopTimeout', async (t) => {
  http.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
    Scheme: 'internet-facing',
    LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '60' }])
  })
  http.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
    TargetType: 'ip',
    Port: 80,
    HealthCheckPath: '/health/started',
    Matcher: { HttpCode: '200' },
    TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '20' }])
  })
  t.pass('60 s < nginx keepalive_timeout 65 s; 20 s < stopTimeout 30 s')
})

t.test('WAF on the load balancer: a per-IP rate limit (a setting) and AWS\'s common and known-bad-inputs rules', async (t) => {
  http.hasResourceProperties('AWS::WAFv2::WebACL', {
    Scope: 'REGIONAL',
    Rules: Match.arrayWith([
      Match.objectLike({ Name: 'rate-per-ip', Statement: { RateBasedStatement: Match.objectLike({ Limit: 2000, AggregateKeyType: 'IP' }) } }),
      Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } }),
      Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } } })
    ])
  })
  http.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1)
  synth({ wafRateLimit: '500' }).serviceTemplate.hasResourceProperties('AWS::WAFv2::WebACL', { Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 500 }) } })]) })
  t.pass()
})
