import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const root = join(import.meta.dirname, '..', '..')
const CHECK = 'node scripts/require-node.cjs && '

function run (version: string) {
  return spawnSync(process.execPath, ['-e', `Object.defineProperty(process.versions, 'node', { value: '${version}' }); require('./scripts/require-node.cjs')`], { cwd: root, encoding: 'utf8' })
}

t.test('every npm script stops first on a Node.js older than 24', async (t) => {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  for (const [name, command] of Object.entries(scripts)) t.ok(command.startsWith(CHECK), `npm run ${name}`)
})

t.test('Node.js 20 is told the version it needs, the version found and how to get it', async (t) => {
  const old = run('20.20.2')
  t.equal(old.status, 1)
  t.match(old.stderr, 'Node.js 24 or later is required (found v20.20.2)')
  t.match(old.stderr, /nvm install|\.nvmrc/)
  t.equal(run('24.0.0').status, 0)
  t.equal(run('25.1.0').status, 0)
})

t.test('.nvmrc and .node-version name the same major as the check', async (t) => {
  for (const file of ['.nvmrc', '.node-version']) t.equal(readFileSync(join(root, file), 'utf8').trim(), '24', file)
})
