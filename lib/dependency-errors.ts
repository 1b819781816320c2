// PostgreSQL error classes that mean "the database cannot serve", not "your request is wrong":
// connection exception, invalid authorization (28000, 28P01: a refused role or password),
// invalid catalog name (3D000: no such database), insufficient resources, operator
// intervention (admin shutdown, statement timeout), system error, and an undefined table
// (42P01: the schema is not there yet, or was dropped).
// https://www.postgresql.org/docs/current/errcodes-appendix.html
const UNAVAILABLE_SQLSTATE = /^(08|28|3D|53|57|58)|^42P01$/

// Node's network errors and the messages pg and ioredis use when a server is gone or slow.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
// SASL: pg's own refusal to sign in (no password for a server that asks for one).
const UNAVAILABLE_MESSAGE = /^SASL: |timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries per request|Cannot use a pool after calling end/

const REDIS_UNAVAILABLE = /^(READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN) /

// A server whose certificate does not verify (wrong CA, name, expiry) cannot be used either.
const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|^ERR_TLS_|^ERR_SSL_/

/**
 * Whether `err` says a dependency cannot serve now (down, unreachable, refusing us, failing
 * over), so the answer is 503 with Retry-After, not a 500: pg's, ioredis' and Node's errors.
 */
export function dependencyUnavailable (err: Error & { code?: unknown }): boolean {
  if (typeof err.code === 'string' && (UNAVAILABLE_SQLSTATE.test(err.code) || UNAVAILABLE_CODES.has(err.code) || TLS_FAILURE.test(err.code))) return true
  if (err.name === 'MaxRetriesPerRequestError') return true
  // Redis: a replica after a failover (the client reconnects), or a server still loading its
  // data; in a MULTI the reason comes as the EXECABORT's previous errors.
  if (err.name === 'ReplyError') {
    const replies = [err, ...((err as { previousErrors?: Error[] }).previousErrors ?? [])]
    if (replies.some((reply) => REDIS_UNAVAILABLE.test(reply.message))) return true
  }
  return UNAVAILABLE_MESSAGE.test(err.message)
}
