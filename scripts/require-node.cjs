// Runs first in every npm script (package.json): the project needs Node.js 24 (type stripping,
// node:module's findPackageJSON, testcontainers 12). CommonJS and plain syntax on purpose, so an
// old Node.js reads it and says so instead of failing later with a SyntaxError.
'use strict'
const REQUIRED = 24
const found = process.versions.node
if (Number(found.split('.')[0]) < REQUIRED) {
  console.error('Node.js ' + REQUIRED + ' or later is required (found v' + found + ').\n' +
    'Get it with nvm (`nvm install`, which reads .nvmrc), fnm or volta (`fnm use`, .node-version),\n' +
    'or without a version manager: `npm install --prefix ~/.node24 node@' + REQUIRED + '` and put\n' +
    '~/.node24/node_modules/.bin first on PATH. README, "Start".')
  process.exit(1)
}
