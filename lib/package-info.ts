import { readFileSync } from 'node:fs'
import { findPackageJSON } from 'node:module'

// The nearest package.json: the project's, from the sources and from dist/ alike.
const path = findPackageJSON('..', import.meta.url) as string

export const packageInfo = JSON.parse(readFileSync(path, 'utf8')) as { name: string, version: string, license?: string }
