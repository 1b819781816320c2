import { Aws, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as s3 from 'aws-cdk-lib/aws-s3'
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
 * logs: ELB's log delivery (`logdelivery.elasticloadbalancing.amazonaws.com`) writes
 * `alb/AWSLogs/<account>/`, the policy the ELB guide gives for every region since 10 September
 * 2025 (before, regions of before August 2022 needed the region's ELB account, which an
 * environment-agnostic stack cannot name at synth: why the CDK's own `logAccessLogs` refuses,
 * aws/aws-cdk#27432); WAF's log delivery (`delivery.logs.amazonaws.com`, CloudWatch Logs'
 * vended-log policy for S3) writes `AWSLogs/<account>/` for this account's deliveries only.
 */
export class AccessLogs extends Construct {
  readonly bucket: s3.Bucket

  constructor (scope: Construct, id: string, props: AccessLogsProps) {
    super(scope, id)
    const stackUuidTail = Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))))
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: `aws-waf-logs-${props.prefix}-${stackUuidTail}`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: props.retain ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY
    })
    Validations.of(this.bucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'The access-log bucket itself: logging its own access would need a bucket for that bucket\'s logs; CloudTrail records its API calls.' })

    const own = (path: string) => this.bucket.arnForObjects(`${path}AWSLogs/${Aws.ACCOUNT_ID}/*`)
    const delivery = { 'aws:SourceAccount': Aws.ACCOUNT_ID }
    const deliverySource = { 'aws:SourceArn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` }
    const service = (name: string) => new iam.ServicePrincipal(name)
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({ sid: 'ElbAccessLogs', principals: [service('logdelivery.elasticloadbalancing.amazonaws.com')], actions: ['s3:PutObject'], resources: [own(`${ALB_LOG_PREFIX}/`)] }))
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'WafLogDeliveryWrite',
      principals: [service('delivery.logs.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [own('')],
      conditions: { StringEquals: { ...delivery, 's3:x-amz-acl': 'bucket-owner-full-control' }, ArnLike: deliverySource }
    }))
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'WafLogDeliveryAclCheck',
      principals: [service('delivery.logs.amazonaws.com')],
      actions: ['s3:GetBucketAcl'],
      resources: [this.bucket.bucketArn],
      conditions: { StringEquals: delivery, ArnLike: deliverySource }
    }))
  }
}
