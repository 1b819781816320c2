import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet's policy for a JSON API: nothing may be loaded or framed. plugins/external/security-headers.ts
 * sets it on every routed answer, plugins/external/error-handler.ts on the answers given before any route
 * or hook runs (malformed HTTP, bad URLs).
 */
export const SECURITY_POLICY: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"]
    }
  },
  frameguard: { action: 'deny' },
  // TLS ends at the ALB; browsers still learn to use HTTPS only.
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true }
}

/** The headers helmet sets for `options`: run once on a response that only records them. */
export function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string | number) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {})
  return headers
}
