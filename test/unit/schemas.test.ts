// The HTTP contract's schemas on their own: each compiles under Ajv's strict mode (what the
// OpenAPI document publishes), and the shapes the routes promise accept and refuse what they say.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import { ErrorSchema } from '../../schemas/error.ts'
import { HealthSchema } from '../../schemas/health.ts'
import { Cursor, ListUsersQuerySchema, UserSchema } from '../../schemas/users.ts'

const dir = join(import.meta.dirname, '..', '..', 'schemas')

function ajv () {
  const a = new Ajv({ strict: true, allErrors: true, coerceTypes: false })
  a.addFormat('date-time', true)
  // The shared schemas the routes refer to by $id (plugins/external/shared-schemas.ts).
  a.addSchema(ErrorSchema)
  a.addSchema(UserSchema)
  a.addKeyword('example')
  return a
}

t.test('every schema of schemas/ compiles in strict mode', async (t) => {
  const a = ajv()
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const module = await import(join(dir, file)) as Record<string, unknown>
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== 'object' || value === null || !(Symbol.for('TypeBox.Kind') in value)) continue
      if (name === 'ErrorSchema' || name === 'UserSchema') continue
      t.doesNotThrow(() => a.compile(value), `${file}: ${name}`)
    }
  }
})

t.test('the one error shape: statusCode, error and message, nothing else', async (t) => {
  const validate = ajv().compile({ ...ErrorSchema, $id: undefined, additionalProperties: false })
  t.ok(validate({ statusCode: 404, error: 'Not Found', message: 'Route GET:/x not found' }))
  t.notOk(validate({ statusCode: 200, error: 'OK', message: '' }), 'a 2xx is not an error')
  t.notOk(validate({ statusCode: 400, error: 'Bad Request' }), 'a message is required')
})

t.test('/health\'s document carries the visit writer\'s state', async (t) => {
  const validate = ajv().compile(HealthSchema)
  const base = { status: 'degraded', service: 's', timestamp: new Date().toISOString(), checks: { database: 'disconnected', redis: 'connected' } }
  t.ok(validate({ ...base, visits: { pending: 3, dropped: 1, refused: 1, last_write_age_seconds: null, oldest_pending_seconds: 2.5 } }))
  t.notOk(validate({ ...base, visits: { pending: 3, dropped: 1 } }), 'the write age and the refused count are part of it')
})

t.test('the cursor and limit take decimal digits only', async (t) => {
  const cursor = ajv().compile(Cursor)
  for (const ok of ['1', '42', '9007199254740']) t.ok(cursor(ok), ok)
  for (const bad of ['0', '01', '0x1', '1e3', '+1', ' 1', '1.', '']) t.notOk(cursor(bad), JSON.stringify(bad))
  t.ok(ajv().compile(ListUsersQuerySchema)({ limit: 10 }))
})
