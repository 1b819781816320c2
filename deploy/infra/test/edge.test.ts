import t from 'tap'
import { Match } from 'aws-cdk-lib/assertions'
import { CERTIFICATE, synth } from './helper.ts'

const http = synth().serviceTemplate
const https = synth({ certificateArn: CERTIFICATE }).serviceTemplate

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
