import { Duration, Validations } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2'
import * as route53 from 'aws-cdk-lib/aws-route53'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import * as targets from 'aws-cdk-lib/aws-route53-targets'
import * as wafv2 from 'aws-cdk-lib/aws-wafv2'
import { Construct } from 'constructs'
import type { Settings } from '../settings.ts'
import { NGINX_PORT } from './network.ts'
import { ALB_LOG_PREFIX } from './access-logs.ts'

// Below nginx's client keep-alive (65 s), so the ALB never reuses a connection nginx is closing.
export const IDLE_TIMEOUT = Duration.seconds(60)
// Below the containers' stopTimeout (30 s): a task leaves the target group before ECS kills it.
export const DEREGISTRATION_DELAY = Duration.seconds(20)

export interface EdgeProps {
  /** With stage, in the web ACL's metric name and the alias record's comment. */
  readonly serviceName: string
  /** prod: deletion protection on the load balancer. */
  readonly stage: Settings['stage']
  /** Its public subnets hold the load balancer; the target group is in it. */
  readonly vpc: ec2.IVpc
  readonly securityGroup: ec2.ISecurityGroup
  /** Set: HTTPS on 443 with this certificate, HTTP redirected to it. */
  readonly certificateArn?: string
  /** The name clients use (the certificate covers it). */
  readonly domainName?: string
  /** Set: an alias record for domainName in this Route 53 zone. */
  readonly hostedZone?: { readonly id: string, readonly name: string }
  /** Requests per IP in 5 minutes before the web ACL answers 429. */
  readonly wafRateLimit: number
  /** Where the load balancer and the web ACL write their access logs (constructs/access-logs.ts). */
  readonly accessLogs: s3.IBucket
}

/**
 * The Application Load Balancer in front of nginx (HTTPS at domainName with the certificate of
 * the settings, HTTP redirected to it; HTTP only without one), domainName's alias record when
 * the settings name its hosted zone, and the WAF web ACL on it: a
 * per-IP rate limit shared by every task (nginx's per-task limit stays as a backstop) and AWS's
 * managed common and known-bad-inputs rule groups. The target group is empty: the service registers
 * its tasks (constructs/service.ts), so the service, which scales on the group's requests, comes after.
 */
export class Edge extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer
  readonly targetGroup: elbv2.ApplicationTargetGroup
  readonly webAcl: wafv2.CfnWebACL
  /** What clients and the smoke test use: https://domainName, else http:// the name or the load balancer's. */
  readonly url: string
  /** Whether the load balancer serves HTTPS (a certificate and the name it covers are set). */
  readonly https: boolean

  constructor (scope: Construct, id: string, props: EdgeProps) {
    super(scope, id)
    const { accessLogs, certificateArn, domainName, hostedZone } = props
    const production = props.stage === 'prod'
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: props.securityGroup,
      idleTimeout: IDLE_TIMEOUT,
      dropInvalidHeaderFields: true,
      deletionProtection: production
    })
    // Access logs to the data stack's bucket, whose policy lets the region's ELB write there
    // (constructs/access-logs.ts; the CDK's logAccessLogs needs the region at synth).
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true')
    this.loadBalancer.setAttribute('access_logs.s3.bucket', accessLogs.bucketName)
    this.loadBalancer.setAttribute('access_logs.s3.prefix', ALB_LOG_PREFIX)

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.IP,
      port: NGINX_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      deregistrationDelay: DEREGISTRATION_DELAY,
      // Can this task serve: nginx up, the app answering behind it, start-up and migrations done
      // (/health/started). Not /health: ECS replaces tasks that fail this check, so a shared
      // dependency's outage (an RDS failover, 60-120 s) would replace every task in a loop; it
      // shows as 503s on the routes that need it, in /health and on the alarms instead.
      healthCheck: { path: '/health/started', healthyHttpCodes: '200', interval: Duration.seconds(10), timeout: Duration.seconds(5), healthyThresholdCount: 2, unhealthyThresholdCount: 3 }
    })

    if (certificateArn) {
      this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
        open: false
      })
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443, open: false })
    } else {
      this.loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, defaultTargetGroups: [this.targetGroup], open: false })
    }
    // The certificate names domainName, never the load balancer's own DNS name (loadSettings
    // refuses a certificate without the name).
    this.https = Boolean(certificateArn)
    this.url = `${this.https ? 'https' : 'http'}://${domainName ?? this.loadBalancer.loadBalancerDnsName}`

    if (domainName && hostedZone) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: hostedZone.id, zoneName: hostedZone.name })
      new route53.ARecord(this, 'Alias', {
        zone,
        recordName: `${domainName}.`,
        target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
        comment: `${props.serviceName} (${props.stage}): the load balancer`
      })
    }

    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName })
    const managed = (name: string, priority: number) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name)
    })
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${props.serviceName}-${props.stage}`),
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: { customResponse: { responseCode: 429 } } },
          statement: { rateBasedStatement: { limit: props.wafRateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('rate-per-ip')
        },
        managed('AWSManagedRulesCommonRuleSet', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2)
      ]
    })
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.loadBalancer.loadBalancerArn, webAclArn: this.webAcl.attrArn })
    // Every request the web ACL sees, to the same bucket (its name starts with aws-waf-logs-, as
    // WAF requires), without the credentials a request carries.
    new wafv2.CfnLoggingConfiguration(this, 'WebAclLogging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [accessLogs.bucketArn],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }]
    })

    if (!certificateArn) {
      Validations.of(this.loadBalancer).acknowledge({ id: 'AwsSolutions::AwsSolutions-ELB1', reason: 'HTTP only until a certificate is set (certificateArn): docs/operations.md says so ("The stacks"), and production should set one.' })
    }
  }
}
