// A synthesized template's values as CloudFormation would give them in one account and region:
// Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and Fn::GetStackOutput resolved, each resource given the
// physical name and ARN its type has (its name property where the template sets one, else its
// logical id). Enough for the IAM policies and the task definitions of these stacks.

export const ACCOUNT = '123456789012'
export const REGION = 'eu-west-1'

interface Resource { Type: string, Properties?: Record<string, unknown> }
export interface TemplateJson {
  Resources: Record<string, Resource>
  Outputs?: Record<string, { Value: unknown }>
}

/** The stack id every stack gets here (what AWS::StackId gives): its last part, a UUID. */
export const STACK_UUID = '0d4a2c60-1b2c-11ef-9a3c-0a1b2c3d4e5f'

export class Resolver {
  readonly templates: TemplateJson[]
  readonly region: string
  private readonly pseudo: Record<string, string>

  /** REGION unless `region` is given: the region the templates are deployed to. */
  constructor (templates: TemplateJson[], region = REGION) {
    this.templates = templates
    this.region = region
    this.pseudo = {
      'AWS::Partition': 'aws',
      'AWS::Region': region,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': '',
      'AWS::StackId': `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/stack/${STACK_UUID}`
    }
  }

  resource (id: string): Resource {
    for (const template of this.templates) if (template.Resources[id]) return template.Resources[id]
    throw new Error(`no resource ${id}`)
  }

  /** The resource's name: the name property its type has in the template, else its logical id. */
  name (id: string): string {
    const { Type, Properties = {} } = this.resource(id)
    const property = ({
      'AWS::ECR::Repository': 'RepositoryName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::ECS::Cluster': 'ClusterName',
      'AWS::ECS::Service': 'ServiceName',
      'AWS::CloudWatch::Alarm': 'AlarmName',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::S3::Bucket': 'BucketName'
    } as Record<string, string>)[Type]
    const given = property ? Properties[property] : undefined
    return given === undefined ? id : String(this.value(given))
  }

  arn (id: string): string {
    const { Type, Properties = {} } = this.resource(id)
    const name = this.name(id)
    switch (Type) {
      case 'AWS::ECR::Repository': return `arn:aws:ecr:${this.region}:${ACCOUNT}:repository/${name}`
      case 'AWS::IAM::Role': return `arn:aws:iam::${ACCOUNT}:role/${name}`
      case 'AWS::IAM::OIDCProvider': return `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(this.value(Properties.Url)).replace(/^https:\/\//, '')}`
      case 'AWS::Logs::LogGroup': return `arn:aws:logs:${this.region}:${ACCOUNT}:log-group:${name}:*`
      case 'AWS::SecretsManager::Secret': return `arn:aws:secretsmanager:${this.region}:${ACCOUNT}:secret:${name}-AbCdEf`
      case 'AWS::SecretsManager::SecretTargetAttachment': return String(this.value(Properties.SecretId))
      case 'AWS::SNS::Topic': return `arn:aws:sns:${this.region}:${ACCOUNT}:${name}`
      case 'AWS::CloudWatch::Alarm': return `arn:aws:cloudwatch:${this.region}:${ACCOUNT}:alarm:${name}`
      case 'AWS::ECS::Cluster': return `arn:aws:ecs:${this.region}:${ACCOUNT}:cluster/${name}`
      case 'AWS::S3::Bucket': return `arn:aws:s3:::${name}`
      case 'AWS::ECS::TaskDefinition': return `arn:aws:ecs:${this.region}:${ACCOUNT}:task-definition/${String(this.value(Properties.Family))}:1`
      default: return `arn:aws:${Type.split('::')[1].toLowerCase()}:${this.region}:${ACCOUNT}:${id}`
    }
  }

  /** What Ref gives for the resource's type (an ARN for some, a name for others). */
  ref (id: string): string {
    if (id in this.pseudo) return this.pseudo[id]
    const { Type } = this.resource(id)
    return ['AWS::SecretsManager::Secret', 'AWS::SecretsManager::SecretTargetAttachment', 'AWS::SNS::Topic', 'AWS::ECS::TaskDefinition', 'AWS::IAM::OIDCProvider'].includes(Type)
      ? this.arn(id)
      : this.name(id)
  }

  attribute (id: string, attribute: string): string {
    if (attribute === 'Arn' || attribute === 'TopicArn') return this.arn(id)
    return `${this.name(id)}.${attribute}`
  }

  value (value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.value(v))
    if (value === null || typeof value !== 'object') return value
    const object = value as Record<string, unknown>
    const [key] = Object.keys(object)
    const argument = object[key]
    switch (key) {
      case 'Ref': return this.ref(argument as string)
      case 'Fn::GetAtt': {
        const [id, attribute] = typeof argument === 'string' ? argument.split('.') : argument as [string, string]
        return this.attribute(id, attribute)
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]]
        return (this.value(parts) as unknown[]).join(separator)
      }
      case 'Fn::Sub': {
        const [text, variables = {}] = typeof argument === 'string' ? [argument] : argument as [string, Record<string, unknown>]
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => name in variables
          ? String(this.value(variables[name]))
          : name.includes('.') ? this.attribute(name.split('.')[0], name.split('.')[1]) : this.ref(name))
      }
      case 'Fn::GetStackOutput': { // another stack's output (the data stack's, in the service stack)
        const { OutputName } = argument as { OutputName: string }
        const output = this.templates.map((t) => t.Outputs?.[OutputName]).find(Boolean)
        if (!output) throw new Error(`no output ${OutputName}`)
        return this.value(output.Value)
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number, unknown]
        return (this.value(list) as unknown[])[Number(index)]
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown]
        return String(this.value(text)).split(separator)
      }
      default: return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, this.value(v)]))
    }
  }

  /** The identity policies of a role: its own Policies and every AWS::IAM::Policy naming it. */
  rolePolicies (roleId: string): Array<{ name: string, policy: unknown }> {
    const role = this.resource(roleId)
    if (role.Properties?.ManagedPolicyArns) throw new Error(`${roleId}: managed policies are not evaluated here`)
    const own = ((role.Properties?.Policies ?? []) as Array<{ PolicyName: string, PolicyDocument: unknown }>)
      .map((p) => ({ name: p.PolicyName, policy: this.value(p.PolicyDocument) }))
    const attached = this.templates.flatMap((t) => Object.entries(t.Resources))
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`))
      .map(([id, r]) => ({ name: id, policy: this.value(r.Properties!.PolicyDocument) }))
    return [...own, ...attached]
  }

  /** The logical id of the one resource of TYPE whose resolved properties match. */
  find (type: string, match: (properties: Record<string, unknown>) => boolean): string {
    const found = this.templates.flatMap((t) => Object.entries(t.Resources))
      .filter(([, r]) => r.Type === type && match(this.value(r.Properties ?? {}) as Record<string, unknown>))
    if (found.length !== 1) throw new Error(`${found.length} ${type} resources match`)
    return found[0][0]
  }
}
