// The promises of .github/workflows: triggers, least privilege, OIDC only, actions pinned by
// SHA with their version, and every step that does real work running a script of the repo.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'

const ROOT = join(import.meta.dirname, '..')
interface Step { name?: string, id?: string, uses?: string, run?: string, with?: Record<string, unknown>, if?: string, env?: Record<string, string> }
interface Job { 'runs-on': string, steps: Step[], environment?: { name: string, url?: string }, services?: Record<string, { image: string, options?: string }>, if?: string, permissions?: Record<string, string>, concurrency?: { group: string, 'cancel-in-progress': unknown } }
interface Workflow { on: Record<string, unknown>, permissions: Record<string, string>, concurrency: { group: string, 'cancel-in-progress': unknown }, jobs: Record<string, Job> }

const text = (file: string) => readFileSync(join(ROOT, '.github', 'workflows', file), 'utf8')
const ci = parse(text('ci.yml')) as Workflow
const deploy = parse(text('deploy.yml')) as Workflow
const infra = parse(text('infra.yml')) as Workflow
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps)

t.test('ci.yml: every pull request and push to main, contents: read, superseded PR runs cancelled', async (t) => {
  t.same(Object.keys(ci.on).sort(), ['pull_request', 'push'])
  t.same(ci.on.push, { branches: ['main'] })
  t.same(ci.permissions, { contents: 'read' })
  t.match(ci.concurrency.group, /github\.event\.pull_request\.number/)
  // eslint-disable-next-line no-template-curly-in-string -- a GitHub expression, not a template
  t.equal(ci.concurrency['cancel-in-progress'], "${{ github.event_name == 'pull_request' }}")
})

t.test('ci.yml runs the README\'s test command on Node 24 with PostgreSQL 16 and Redis 7 (health-checked) and npm\'s cache', async (t) => {
  const { test } = ci.jobs
  t.equal(test.services?.postgres.image, 'postgres:16')
  t.equal(test.services?.redis.image, 'redis:7')
  t.match(test.services?.postgres.options, '--health-cmd')
  t.match(test.services?.redis.options, '--health-cmd')
  const node = test.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))
  t.match(node?.with, { 'node-version': 24, cache: 'npm' })
  t.ok(test.steps.some((s) => s.run === 'npm test'), 'npm test')
})

t.test('ci.yml runs the same checks as .ci/run: nginx, images with a layer cache, compose, the AWS CLI commands, infrastructure, workflow lint', async (t) => {
  const runs = steps(ci).map((s) => s.run ?? '').join('\n')
  for (const check of ['10-nginx.sh', '20-compose.sh', '25-compose-up.sh', '30-container.sh', '45-aws-cli.sh', '50-infra.sh', '60-workflows.sh']) {
    t.match(runs, `bash .ci/checks/${check}`, check)
    t.ok(existsSync(join(ROOT, '.ci', 'checks', check)), `${check} exists`)
  }
  const builds = steps(ci).filter((s) => s.uses?.startsWith('docker/build-push-action@'))
  t.equal(builds.length, 2, 'both images')
  t.ok(builds.every((b) => String(b.with?.['cache-from']).startsWith('type=gha')), 'with the layer cache')
})

t.test('deploy.yml: after CI succeeds on main, or by hand with an optional image tag (a rollback)', async (t) => {
  t.same(deploy.on.workflow_run, { workflows: ['CI'], types: ['completed'], branches: ['main'] })
  t.match(deploy.on.workflow_dispatch, { inputs: { 'image-tag': { required: false } } })
  t.match(deploy.jobs.deploy.if, "github.event.workflow_run.conclusion == 'success'")
  t.equal(deploy.concurrency['cancel-in-progress'], false)
  t.equal(deploy.jobs.deploy.environment?.name, 'production')
  t.ok(deploy.jobs.deploy.environment?.url, 'the environment shows the URL')
  t.same(deploy.permissions, { contents: 'read', 'id-token': 'write', actions: 'read' }, 'actions: read, for CI\'s artifact')
  t.equal(deploy.concurrency['cancel-in-progress'], false, 'a deploy in progress is never cancelled')
})

// The job's condition, evaluated for the events GitHub sends: GitHub's expression operators on
// the event's fields (==, &&, ||, parentheses; strings compared case-insensitively, as GitHub does).
function evaluate (expression: string, context: Record<string, unknown>): boolean {
  const get = (path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], context)
  const tokens = expression.match(/\(|\)|&&|\|\||==|!=|'[^']*'|[\w.-]+/g) ?? []
  let i = 0
  const value = (): unknown => {
    const token = tokens[i++]
    if (token === '(') { const v = or(); i++; return v }
    if (token.startsWith("'")) return token.slice(1, -1)
    return get(token)
  }
  const comparison = (): unknown => {
    const left = value()
    if (tokens[i] === '==' || tokens[i] === '!=') {
      const op = tokens[i++]
      const right = value()
      const equal = String(left ?? '').toLowerCase() === String(right ?? '').toLowerCase() && (left === undefined) === (right === undefined)
      return op === '==' ? equal : !equal
    }
    return left
  }
  const and = (): unknown => { let v = comparison(); while (tokens[i] === '&&') { i++; const r = comparison(); v = Boolean(v) && Boolean(r) } return v }
  const or = (): unknown => { let v = and(); while (tokens[i] === '||') { i++; const r = and(); v = Boolean(v) || Boolean(r) } return v }
  const result = or()
  if (i !== tokens.length) throw new Error(`unparsed: ${tokens.slice(i).join(' ')}`)
  return Boolean(result)
}

t.test('deploy.yml deploys only CI\'s successful runs on pushes to this repository\'s main, and dispatches from main', async (t) => {
  const condition = deploy.jobs.deploy.if!
  const repository = 'acme/ecs-microservice'
  const run = (workflowRun: Record<string, unknown>) => ({
    github: { event_name: 'workflow_run', repository, ref: 'refs/heads/main', event: { workflow_run: { conclusion: 'success', event: 'push', head_branch: 'main', head_repository: { full_name: repository }, ...workflowRun } } }
  })
  t.ok(evaluate(condition, run({})), 'CI passed on a push to main')
  t.notOk(evaluate(condition, run({ conclusion: 'failure' })), 'CI failed')
  t.notOk(evaluate(condition, run({ event: 'pull_request', head_repository: { full_name: 'stranger/fork' } })), 'a fork\'s pull request from its own branch main')
  t.notOk(evaluate(condition, run({ event: 'pull_request' })), 'a pull request of this repository from a branch called main')
  t.notOk(evaluate(condition, run({ head_repository: { full_name: 'stranger/fork' } })), 'a push in a fork')
  t.notOk(evaluate(condition, run({ head_branch: 'feature' })), 'a push to another branch')
  const dispatch = (ref: string) => ({ github: { event_name: 'workflow_dispatch', repository, ref, event: {} } })
  t.ok(evaluate(condition, dispatch('refs/heads/main')), 'dispatched from main')
  t.notOk(evaluate(condition, dispatch('refs/heads/feature')), 'dispatched from another branch')
  t.notOk(evaluate(condition, dispatch('refs/tags/v1.0.0')), 'dispatched from a tag')
})

t.test('AWS access only through OIDC: the deploy role from a repository variable, no access key anywhere', async (t) => {
  const credentials = deploy.jobs.deploy.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))
  // eslint-disable-next-line no-template-curly-in-string -- a GitHub expression, not a template
  t.equal(credentials?.with?.['role-to-assume'], '${{ vars.AWS_DEPLOY_ROLE_ARN }}')
  for (const file of ['ci.yml', 'deploy.yml', 'infra.yml']) t.notMatch(text(file), /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secrets\./i, `${file}: no key, no secret`)
})

t.test('deploy.yml: push, migrations, one render per container, the revision running, deploy waiting for stability, smoke test (rolled back when it fails), summary', async (t) => {
  const order = deploy.jobs.deploy.steps.map((s) => s.uses?.split('@')[0] ?? s.run?.split(' ').slice(0, 2).join(' '))
  t.same(order, [
    'actions/checkout', 'actions/setup-node', 'aws-actions/configure-aws-credentials', 'aws-actions/amazon-ecr-login',
    'actions/download-artifact', 'npm run', 'bash deploy/ci/resolve-images.sh', 'bash deploy/ci/migrate.sh', 'bash deploy/ci/task-definition.sh',
    'aws-actions/amazon-ecs-render-task-definition', 'aws-actions/amazon-ecs-render-task-definition', 'bash deploy/ci/rollback.sh', 'aws-actions/amazon-ecs-deploy-task-definition',
    'bash deploy/ci/smoke.sh', 'bash deploy/ci/rollback.sh', 'bash deploy/ci/summary.sh'
  ])
  const renders = deploy.jobs.deploy.steps.filter((s) => s.uses?.startsWith('aws-actions/amazon-ecs-render-task-definition@'))
  t.same(renders.map((r) => r.with?.['container-name']), ['app', 'nginx'])
  const ecsDeploy = deploy.jobs.deploy.steps.find((s) => s.uses?.startsWith('aws-actions/amazon-ecs-deploy-task-definition@'))
  t.equal(ecsDeploy?.with?.['wait-for-service-stability'], true)
})

// ECS rolls back what its circuit breaker and alarms see; a deploy that is stable but fails the
// smoke test goes back to the revision recorded before it, and the job stays failed.
t.test('deploy.yml: a failed smoke test rolls the service back to the revision it ran before the deploy', async (t) => {
  const { steps } = deploy.jobs.deploy
  const at = (match: (s: Step) => boolean) => steps.findIndex(match)
  const record = at((s) => s.run === 'bash deploy/ci/rollback.sh --stage "$STAGE" --record')
  const ecsDeploy = at((s) => Boolean(s.uses?.startsWith('aws-actions/amazon-ecs-deploy-task-definition@')))
  const smoke = at((s) => Boolean(s.run?.startsWith('bash deploy/ci/smoke.sh')))
  const back = at((s) => Boolean(s.run?.startsWith('bash deploy/ci/rollback.sh --stage "$STAGE" --to')))
  t.ok(record >= 0 && record < ecsDeploy && ecsDeploy < smoke && smoke < back, 'recorded before the deploy; rolled back after the smoke test')
  t.equal(steps[smoke].id, 'smoke')
  t.equal(steps[back].if, "failure() && steps.smoke.outcome == 'failure'", 'only when the smoke test itself failed (not a failed deploy, which ECS rolled back)')
  t.equal(steps[back].env?.PREVIOUS, `\${{ steps.${steps[record].id}.outputs.previous }}`, 'to the revision recorded')
})

// Build once (issue 20): the images CI built and tested are those pushed; a build is not
// reproducible, and ECR's tags are immutable.
t.test('ci.yml: on a push to main, the images job keeps the images it tested, named after the commit, for 7 days', async (t) => {
  const { steps: images } = ci.jobs.images
  const index = (match: (s: Step) => boolean) => images.findIndex(match)
  const bundle = index((s) => s.run === 'bash deploy/ecr/rds-ca-bundle.sh')
  const appBuild = index((s) => Boolean(s.uses?.startsWith('docker/build-push-action@')) && s.with?.context === '.')
  t.ok(bundle >= 0 && bundle < appBuild, 'the RDS CA bundle is in the app image (production\'s DB_SSL=verify-full)')
  const save = index((s) => Boolean(s.run?.startsWith('bash deploy/ecr/save-images.sh ')))
  const upload = index((s) => Boolean(s.uses?.startsWith('actions/upload-artifact@')))
  const checks = ['30-container.sh', '25-compose-up.sh'].map((check) => index((s) => Boolean(s.run?.includes(check))))
  t.ok(checks.every((c) => c >= 0 && c < save) && save < upload, 'saved once the images\' checks have passed, then uploaded')
  const onMain = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
  t.same([images[save].if, images[upload].if], [onMain, onMain], 'on pushes to main only')
  // eslint-disable-next-line no-template-curly-in-string -- a GitHub expression, not a template
  t.match(images[upload].with, { name: 'images-${{ github.sha }}', 'retention-days': 7, 'if-no-files-found': 'error', overwrite: true })
  // eslint-disable-next-line no-template-curly-in-string -- a GitHub expression, not a template
  t.equal(images[save].run!.split(' ').pop()!.replaceAll('"', ''), String(images[upload].with?.path).replace('${{ runner.temp }}', '$RUNNER_TEMP'), 'the file saved is the one uploaded')
})

t.test('deploy.yml builds nothing: CI\'s run\'s images are pushed, a dispatch deploys what ECR has for the commit or the tag', async (t) => {
  const { steps: job } = deploy.jobs.deploy
  t.notOk(job.some((s) => /^docker\/(build-push|setup-buildx)-action@/.test(s.uses ?? '') || /docker (buildx )?build/.test(s.run ?? '')), 'no build step')
  const download = job.find((s) => s.uses?.startsWith('actions/download-artifact@'))
  const push = job.find((s) => s.run?.startsWith('npm run push'))
  const fromCi = "github.event_name == 'workflow_run'"
  t.same([download?.if, push?.if], [fromCi, fromCi], 'only for CI\'s run')
  // eslint-disable-next-line no-template-curly-in-string -- GitHub expressions, not templates
  t.match(download?.with, { name: 'images-${{ github.event.workflow_run.head_sha }}', 'run-id': '${{ github.event.workflow_run.id }}', 'github-token': '${{ github.token }}' })
  t.match(push?.run, /^npm run push -- --registry "\$REGISTRY" --images "\$RUNNER_TEMP\/images\/images\.tar"$/, 'push.sh builds nothing with --images (45-aws-cli.sh)')
  const resolve = job.find((s) => s.run?.startsWith('bash deploy/ci/resolve-images.sh'))
  // eslint-disable-next-line no-template-curly-in-string -- shell expansions, not a template
  t.match(resolve?.run, '${IMAGE_TAG:+--tag "$IMAGE_TAG"} ${COMMIT:+--commit}')
  // eslint-disable-next-line no-template-curly-in-string -- a GitHub expression, not a template
  t.equal(resolve?.env?.COMMIT, "${{ github.event_name == 'workflow_dispatch' && inputs.image-tag == '' && '1' || '' }}", 'a dispatch without image tag: the commit\'s images in ECR')
})

t.test('every action is pinned to a full commit SHA with its version in a comment', async (t) => {
  for (const file of ['ci.yml', 'deploy.yml', 'infra.yml']) {
    for (const line of text(file).split('\n').filter((l) => /^\s*(- )?uses:/.test(l))) {
      t.match(line, /uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${file}: ${line.trim()}`)
    }
  }
})

t.test('each step that does real work runs a script of the repository (or the README\'s npm commands)', async (t) => {
  for (const step of [...steps(ci), ...steps(deploy), ...steps(infra)].filter((s) => s.run)) {
    const command = step.run!.trim()
    t.notMatch(command, /\n/, `one command: ${command}`)
    const script = /^(?:sudo )?bash ([\w./-]+\.sh)/.exec(command)?.[1]
    if (script) t.ok(existsSync(join(ROOT, script)), `${script} exists`)
    else t.match(command, /^npm (ci|test|run push|run deploy)\b/, `an npm command of the README: ${command}`)
  }
})

t.test('Dependabot: npm (service and infrastructure), both Dockerfiles\' base images and the ECS collector\'s pin, compose.yaml\'s images and the actions, weekly and grouped', async (t) => {
  const { updates } = parse(readFileSync(join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as { updates: Array<{ 'package-ecosystem': string, directory?: string, directories?: string[], schedule: { interval: string }, groups: object }> }
  const where = Object.fromEntries(updates.map((u) => [u['package-ecosystem'], u.directories ?? [u.directory]]))
  t.same(where, { npm: ['/', '/deploy/infra'], docker: ['/', '/deploy/nginx', '/deploy/otel'], 'docker-compose': ['/'], 'github-actions': ['/'] })
  t.ok(updates.every((u) => u.schedule.interval === 'weekly' && Object.keys(u.groups).length > 0), 'weekly, grouped')
})

// The stacks' own pipeline (issue 20, beyond the anchors): cdk diff on the pull requests that
// change them, cdk deploy of main, gated, one deploy at a time with the Deploy workflow.
t.test('infra.yml: cdk diff on this repository\'s pull requests that change the stacks (a role that reads), cdk deploy of main in its own environment', async (t) => {
  const on = infra.on as Record<string, { paths?: string[], branches?: string[] } | null>
  for (const trigger of ['pull_request', 'push']) t.ok(on[trigger]?.paths?.includes('deploy/infra/**'), `${trigger}: when deploy/infra changes`)
  t.same(on.push?.branches, ['main'])
  const { diff, deploy: apply } = infra.jobs
  const pr = (head: string) => ({ github: { event_name: 'pull_request', repository: 'acme/app', event: { pull_request: { head: { repo: { full_name: head } } } } } })
  t.ok(evaluate(diff.if!, pr('acme/app')), 'diff: a pull request of this repository')
  t.notOk(evaluate(diff.if!, pr('someone/app')), 'diff: not a fork\'s (no OIDC token, and its code must not reach AWS)')
  const event = (name: string, ref: string) => ({ github: { event_name: name, ref, repository: 'acme/app', event: {} } })
  t.ok(evaluate(apply.if!, event('push', 'refs/heads/main')), 'deploy: a push to main')
  t.ok(evaluate(apply.if!, event('workflow_dispatch', 'refs/heads/main')), 'deploy: dispatched from main')
  t.notOk(evaluate(apply.if!, event('workflow_dispatch', 'refs/heads/feature')), 'deploy: not dispatched from another branch')
  t.notOk(evaluate(apply.if!, event('pull_request', 'refs/heads/main')), 'deploy: never on a pull request')
  t.same(infra.permissions, { contents: 'read' }, 'read-only by default')
  t.same(diff.permissions, { contents: 'read', 'id-token': 'write', 'pull-requests': 'write' })
  t.same(apply.permissions, { contents: 'read', 'id-token': 'write' })
  t.same(apply.environment, { name: 'infrastructure' }, 'its own environment (reviewers, main only), which the infrastructure role trusts')
  t.same(apply.concurrency, { group: deploy.concurrency.group, 'cancel-in-progress': false }, 'never at once with a Deploy run, never cancelled')
  const credentials = (job: Job) => job.steps.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'))?.with?.['role-to-assume']
  // eslint-disable-next-line no-template-curly-in-string -- GitHub expressions, not templates
  t.same([credentials(diff), credentials(apply)], ['${{ vars.AWS_DIFF_ROLE_ARN }}', '${{ vars.AWS_INFRA_ROLE_ARN }}'])
  t.ok(diff.steps.some((step) => step.run?.startsWith('npm run deploy -- --stage "$STAGE" --diff')), 'the diff is npm run deploy --diff')
  t.ok(diff.steps.some((step) => step.run?.startsWith('bash deploy/ci/pr-comment.sh')), 'posted on the pull request')
  t.ok(apply.steps.some((step) => step.run === 'npm run deploy -- --stage "$STAGE"'), 'the deploy is npm run deploy, as from a laptop')
})
