import t from 'tap'
import { fargateSizeError, FARGATE_SIZES, loadSettings, STAGE_DEFAULTS } from '../lib/settings.ts'
import { CERTIFICATE, context } from './helper.ts'

t.test('a missing or bad setting stops synth with a message naming it', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ stage: 'staging' }, /stage="staging"/],
    [{ githubRepository: '' }, /githubRepository \(missing\)/],
    [{ githubRepository: 'not a repo' }, /githubRepository/],
    [{ appImageDigest: 'latest' }, /appImageDigest \(="latest"\).*sha256/],
    [{ nginxImageDigest: '' }, /nginxImageDigest \(missing\)/],
    [{ natGateways: '0' }, /natGateways/],
    [{ natGateways: '3' }, /natGateways \(=3\): .*less or equal to 2 \(one per zone at most, the VPC spans 2\)/],
    [{ databaseVersion: '12' }, /databaseVersion/],
    [{ taskCpu: '300' }, /taskCpu/],
    [{ minTasks: '1' }, /minTasks/],
    [{ minTasks: '4', maxTasks: '3' }, /maxTasks=3: below minTasks=4/],
    [{ certificateArn: 'my-cert' }, /certificateArn/],
    [{ certificateArn: CERTIFICATE }, /certificateArn without domainName: the certificate names a host, and the load balancer's own DNS name is not one of them/],
    [{ domainName: 'https://api.example.com' }, /domainName .*a host name/],
    [{ domainName: 'API.example.com' }, /domainName/],
    [{ stage: 'prod', certificateArn: '' }, /prod: it needs certificateArn and domainName .*; certificateArn is missing$/],
    [{ stage: 'prod', domainName: '' }, /prod: it needs certificateArn and domainName .*; domainName is missing$/],
    [{ stage: 'prod', certificateArn: '', domainName: '' }, /certificateArn is missing; domainName is missing/],
    [{ domainName: 'api.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' }, /hostedZoneId without hostedZoneName/],
    [{ hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' }, /hostedZoneName without domainName/],
    [{ domainName: 'api.example.org', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' }, /domainName=api\.example\.org: not in the hosted zone example\.com/],
    [{ domainName: 'badexample.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' }, /not in the hosted zone/],
    [{ alarmEmail: 'nobody' }, /alarmEmail/],
    [{ logRetentionDays: '10' }, /logRetentionDays/]
  ]
  for (const [extra, message] of cases) {
    const settings = { ...context({ stage: extra.stage ?? 'dev' }), ...extra }
    if (extra.githubRepository === '') delete (settings as Record<string, string>).githubRepository
    if (extra.nginxImageDigest === '') delete (settings as Record<string, string>).nginxImageDigest
    t.throws(() => loadSettings(settings), { name: 'SettingsError', message }, JSON.stringify(extra))
  }
})

t.test('dev and prod defaults: prod redundant and protected, dev small', async (t) => {
  const dev = loadSettings(context())
  const prod = loadSettings(context({ stage: 'prod' }))
  t.match(dev, { stage: 'dev', natGateways: 1, databaseMultiAz: false, cacheMultiAz: false, minTasks: 2 })
  t.match(prod, { stage: 'prod', natGateways: 2, databaseMultiAz: true, cacheMultiAz: true, minTasks: 2, databaseBackupDays: 14 })
  t.equal(loadSettings(context({ stage: 'prod', maxTasks: '20', databaseMultiAz: 'false' })).maxTasks, 20, 'context strings converted')
  t.equal(Object.keys(STAGE_DEFAULTS).join(), 'dev,prod')
})

t.test('taskCpu and taskMemoryMiB must be a pair Fargate runs: a bad one stops synth with what would fit', async (t) => {
  const bad: Array<[string, string, RegExp]> = [
    ['256', '4096', /taskMemoryMiB=4096 with taskCpu=256: .*256 takes 512, 1024, 2048 MiB; 4096 MiB goes with taskCpu 512 or 1024 or 2048/],
    ['4096', '1024', /taskMemoryMiB=1024 with taskCpu=4096: .*4096 takes 8192 to 30720 MiB in steps of 1024; 1024 MiB goes with taskCpu 256 or 512/],
    ['512', '1500', /taskMemoryMiB=1500 with taskCpu=512: .*1024 to 4096 MiB in steps of 1024$/],
    ['8192', '20000', /taskCpu=8192/],
    ['1024', '1024', /taskCpu=1024/]
  ]
  for (const [taskCpu, taskMemoryMiB, message] of bad) {
    t.throws(() => loadSettings(context({ taskCpu, taskMemoryMiB })), { name: 'SettingsError', message }, `${taskCpu}/${taskMemoryMiB}`)
  }
  for (const [taskCpu, taskMemoryMiB] of [['256', '512'], ['256', '2048'], ['512', '1024'], ['512', '4096'], ['1024', '8192'], ['2048', '5120'], ['4096', '30720'], ['8192', '61440'], ['16384', '122880']]) {
    t.match(loadSettings(context({ taskCpu, taskMemoryMiB })), { taskCpu: Number(taskCpu), taskMemoryMiB: Number(taskMemoryMiB) }, `${taskCpu}/${taskMemoryMiB} runs`)
  }
  t.equal(fargateSizeError(300, 1024), 'Fargate has no task of 300 CPU units (256, 512, 1024, 2048, 4096, 8192, 16384)')
  t.same(FARGATE_SIZES[2048].length, 13, '2048: 4 to 16 GiB by 1 GiB')
  for (const stage of ['dev', 'prod'] as const) t.equal(fargateSizeError(STAGE_DEFAULTS[stage].taskCpu!, STAGE_DEFAULTS[stage].taskMemoryMiB!), null, `${stage}'s defaults run`)
})
