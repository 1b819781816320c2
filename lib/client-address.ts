import { isIP } from 'node:net'

/**
 * The address a visit is stored with: the one Fastify derived (X-Forwarded-For's first untrusted
 * hop when the peer is a trusted proxy, else the peer) when it is an IP address, else the peer's
 * own; null when neither is (the connection was gone before the request was read). A proxy's
 * header is text anyone can write: only an address reaches the database's inet column.
 */
export function clientAddress (derived: string | undefined, peer: string | undefined): string | null {
  if (derived !== undefined && isIP(derived) !== 0) return derived
  if (peer !== undefined && isIP(peer) !== 0) return peer
  return null
}
