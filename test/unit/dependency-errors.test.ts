import t from 'tap'
import { dependencyUnavailable } from '../../lib/dependency-errors.ts'

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code })
const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name }, extra)

t.test('a dependency that cannot serve: 503, whatever the driver calls it', async (t) => {
  const unavailable = [
    withCode('08006'), withCode('57P01', 'terminating connection due to administrator command'), withCode('57014', 'canceling statement due to statement timeout'),
    withCode('28P01'), withCode('3D000'), withCode('53300'), withCode('42P01'),
    withCode('ECONNREFUSED'), withCode('ETIMEDOUT'), withCode('ENOTFOUND'), withCode('SELF_SIGNED_CERT_IN_CHAIN'), withCode('ERR_TLS_CERT_ALTNAME_INVALID'),
    new Error('timeout exceeded when trying to connect'), new Error('Connection terminated unexpectedly'), new Error('Connection is closed.'),
    new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
    named('MaxRetriesPerRequestError', 'Reached the max retries per request limit'),
    named('ReplyError', "READONLY You can't write against a read only replica."),
    named('ReplyError', 'EXECABORT Transaction discarded because of previous errors.', { previousErrors: [named('ReplyError', 'LOADING Redis is loading the dataset in memory')] })
  ]
  for (const err of unavailable) t.ok(dependencyUnavailable(err), `${(err as { code?: string }).code ?? err.name}: ${err.message}`)
})

t.test('the request\'s own fault or a bug: not a dependency outage', async (t) => {
  const other = [
    withCode('23505', 'duplicate key value violates unique constraint'), withCode('22P02', 'invalid input syntax for type integer'),
    withCode('42601', 'syntax error at or near'), withCode('FST_ERR_VALIDATION', 'body/username must be string'),
    new TypeError('Cannot read properties of undefined'), named('ReplyError', 'WRONGTYPE Operation against a key holding the wrong kind of value')
  ]
  for (const err of other) t.notOk(dependencyUnavailable(err), `${(err as { code?: string }).code ?? err.name}: ${err.message}`)
})
