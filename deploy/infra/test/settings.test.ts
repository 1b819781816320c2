import t from 'tap'
import { loadSettings, STAGE_DEFAULTS } from '../lib/settings.ts'
import { context } from './helper.ts'

t.test('a missing or bad setting stops synth with a message naming it', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ stage: 'staging' }, /stage="staging"/],
    [{ githubRepository: '' }, /githubRepository \(missing\)/],
    [{ githubRepository: 'not a repo' }, /githubRepository/],
    [{ appImageDigest: 'latest' }, /appImageDigest \(="latest"\).*sha256/],
    [{ nginxImageDigest: '' }, /nginxImageDigest \(missing\)/],
    [{ natGateways: '0' }, /natGateways/],
    [{ databaseVersion: '12' }, /databaseVersion/],
    [{ taskCpu: '300' }, /taskCpu/],
    [{ minTasks: '1' }, /minTasks/],
    [{ minTasks: '4', maxTasks: '3' }, /maxTasks=3: below minTasks=4/],
    [{ certificateArn: 'my-cert' }, /certificateArn/],
    [{ alarmEmail: 'nobody' }, /alarmEmail/],
    [{ logRetentionDays: '10' }, /logRetentionDays/]
  ]
  for (const [extra, message] of cases) {
    const settings = { ...context(), ...extra }
    if (extra.githubRepository === '') delete (settings as Record<string, string>).githubRepository
    if (extra.nginxImageDigest === '') delete (settings as Record<string, string>).nginxImageDigest
    t.throws(() => loadSettings(settings), { name: 'SettingsError', message }, JSON.stringify(extra))
  }
})

t.test('dev and prod defaults: prod redundant and protected, dev small', async (t) => {
  const dev = loadSettings(context())
  const prod = loadSettings(context({ stage: 'prod' }))
  t.match(dev, { stage: 'dev', natGateways: 1, databaseMultiAz: false, cacheMultiAz: false, minTasks: 2 })
  t.match(prod, { stage: 'prod', natGateways: 1, databaseMultiAz: true, cacheMultiAz: true, minTasks: 2, databaseBackupDays: 14 })
  t.equal(loadSettings(context({ stage: 'prod', maxTasks: '20', databaseMultiAz: 'false' })).maxTasks, 20, 'context strings converted')
  t.equal(Object.keys(STAGE_DEFAULTS).join(), 'dev,prod')
})
