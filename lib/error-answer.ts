import { STATUS_CODES } from 'node:http'
import type { ErrorBody } from '../schemas/error.ts'

/** The service's one error shape (schemas/error.ts). */
export function errorBody (statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/**
 * A complete HTTP/1.1 answer in the error shape, for a connection on which no request could be
 * read (Node's clientError): there is no reply to send it with, only the socket.
 */
export function rawErrorAnswer (statusCode: number, message: string, headers: Record<string, string>): string {
  const body = JSON.stringify(errorBody(statusCode, message))
  const lines = [
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)
  ]
  return `${lines.join('\r\n')}\r\n\r\n${body}`
}
