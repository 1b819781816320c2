import neostandard from 'neostandard'

// SQL is never built from strings: text passed to query() (or as `text:`) must be a literal or
// a template without substitutions; values go in as parameters ($1, $2, ...).
const SQL_BUILT_FROM_STRINGS = [
  ['CallExpression[callee.property.name="query"] > TemplateLiteral.arguments:first-child[expressions.length>0]', 'a template with substitutions'],
  ['CallExpression[callee.property.name="query"] > BinaryExpression.arguments:first-child', 'string concatenation'],
  ['Property[key.name="text"] > TemplateLiteral.value[expressions.length>0]', 'a template with substitutions'],
  ['Property[key.name="text"] > BinaryExpression.value', 'string concatenation'],
  ['CallExpression[callee.property.name="concat"][callee.object.type="Literal"]', 'String.concat']
].map(([selector, how]) => ({ selector, message: `SQL built from ${how}: use a constant statement and $n parameters.` }))

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**', 'deploy/infra/cdk.out/**']
  }),
  {
    files: ['**/*.ts'],
    ignores: ['test/**'], // the tests create and drop their own databases by name
    rules: { 'no-restricted-syntax': ['error', ...SQL_BUILT_FROM_STRINGS] }
  },
  {
    // A CDK construct adds itself to the tree it is created in: `new` is the whole point.
    files: ['deploy/infra/**/*.ts'],
    rules: { 'no-new': 'off' }
  }
]
