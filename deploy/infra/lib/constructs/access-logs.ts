import { Aws, CfnCondition, CfnMapping, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib'
import * as s3 from 'aws-cdk-lib/aws-s3'
import { RegionInfo } from 'aws-cdk-lib/region-info'
import { Construct } from 'constructs'

export interface AccessLogsProps {
  /** The stage's name prefix (`<serviceName>-<stage>`): the bucket is `aws-waf-logs-<prefix>-<id>`. */
  readonly prefix: string
  /** Days an access log is kept. */
  readonly retentionDays: number
  /** prod: the bucket outlives a stack update or deletion that would remove it. */
  readonly retain: boolean
}

/** Where the load balancer writes its access logs in the bucket (`<prefix>/AWSLogs/<account>/…`). */
export const ALB_LOG_PREFIX = 'alb'

/**
 * One bucket for the load balancer's and the WAF web ACL's access logs, each log deleted after
 * `retentionDays`. Its name starts with `aws-waf-logs-`, which WAF requires of an S3
 * destination, and ends with a part of the stack's id, new with every create, so a retried
 * first create or a stage created again never meets the bucket of an earlier one. SSE-S3 (the
 * only encryption ELB access logs support), TLS only, no ACLs, no public access.
 *
 * The bucket policy grants what each service's documentation names, scoped to this account's
 * logs: ELB writes `alb/AWSLogs/<account>/` as the region's ELB account in the regions of before
 * August 2022, as `logdelivery.elasticloadbalancing.amazonaws.com` in the later ones (the CDK's
 * region facts, in a mapping: the stacks are environment-agnostic, so the region is known only
 * at deploy time, where the CDK's own `logAccessLogs` refuses, aws/aws-cdk#27432); WAF's log
 * delivery (`delivery.logs.amazonaws.com`) writes `AWSLogs/<account>/` for this account's
 * deliveries only. A region the installed CDK does not know fails the deploy at the mapping:
 * update aws-cdk-lib.
 */
export class AccessLogs extends Construct {
  readonly bucket: s3.Bucket
  /** The bucket's policy: what lets ELB and WAF write (a resource that writes there depends on it). */
  readonly policy: s3.CfnBucketPolicy

  constructor (scope: Construct, id: string, props: AccessLogsProps) {
    super(scope, id)
    const stackUuidTail = Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))))
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: `aws-waf-logs-${props.prefix}-${stackUuidTail}`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: props.retain ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY
    })
    Validations.of(this.bucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'The access-log bucket itself: logging its own access would need a bucket for that bucket\'s logs; CloudTrail records its API calls.' })

    // Each region: whether ELB delivers as the region's account (and which), else as its service principal.
    const regions = new CfnMapping(this, 'ElbLogDelivery')
    for (const { name, elbv2Account } of RegionInfo.regions) {
      regions.setValue(name, 'account', elbv2Account ?? 'none')
    }
    const legacy = new CfnCondition(this, 'ElbDeliversAsAccount', {
      expression: Fn.conditionNot(Fn.conditionEquals(regions.findInMap(Aws.REGION, 'account'), 'none'))
    })
    const own = (path: string) => this.bucket.arnForObjects(`${path}AWSLogs/${Aws.ACCOUNT_ID}/*`)
    const elb = (principal: Record<string, string>) => ({ Sid: 'ElbAccessLogs', Effect: 'Allow', Principal: principal, Action: 's3:PutObject', Resource: own(`${ALB_LOG_PREFIX}/`) })
    const delivery = { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` } }
    // The whole policy written out: the ELB statement's principal depends on the region, a
    // CloudFormation condition the L2 policy document cannot hold.
    this.policy = new s3.CfnBucketPolicy(this, 'Policy', {
      bucket: this.bucket.bucketName,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'TlsOnly', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [this.bucket.bucketArn, this.bucket.arnForObjects('*')], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          Fn.conditionIf(legacy.logicalId,
            elb({ AWS: `arn:${Aws.PARTITION}:iam::${regions.findInMap(Aws.REGION, 'account')}:root` }),
            elb({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' })),
          { Sid: 'WafLogDeliveryWrite', Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 's3:PutObject', Resource: own(''), Condition: { ...delivery, StringEquals: { ...delivery.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } } },
          { Sid: 'WafLogDeliveryAclCheck', Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: this.bucket.bucketArn, Condition: delivery }
        ]
      }
    })
  }
}
