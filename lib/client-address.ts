import { isIP } from 'node:net'

/**
 * Whether `text` is a dotted-quad IPv4 address as `net.isIP` reads one (four decimal parts of
 * 0–255, no leading zeros): the common case, checked without isIP's regular expression, which
 * cost about 0.5 µs a request (bench/README.md). Anything else goes to isIP.
 */
function isIPv4 (text: string): boolean {
  const length = text.length
  if (length < 7 || length > 15) return false
  let parts = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= length; i++) {
    const c = i === length ? 46 : text.charCodeAt(i)
    if (c === 46) { // '.'
      if (digits === 0 || value > 255 || ++parts > 4) return false
      value = 0
      digits = 0
    } else if (c >= 48 && c <= 57) { // '0'–'9'
      if (digits === 1 && value === 0) return false // a leading zero
      value = value * 10 + c - 48
      if (++digits > 3) return false
    } else return false
  }
  return parts === 4
}

/** Whether `text` is an IP address (v4 or v6), as `net.isIP(text) !== 0`. */
export function isAddress (text: string): boolean {
  return isIPv4(text) || (text.includes(':') && isIP(text) === 6)
}

/**
 * The address a visit is stored with: the one Fastify derived (X-Forwarded-For's first untrusted
 * hop when the peer is a trusted proxy, else the peer) when it is an IP address, else the peer's
 * own; null when neither is (the connection was gone before the request was read). A proxy's
 * header is text anyone can write: only an address reaches the database's inet column.
 */
export function clientAddress (derived: string | undefined, peer: string | undefined): string | null {
  if (derived !== undefined && isAddress(derived)) return derived
  if (peer !== undefined && isAddress(peer)) return peer
  return null
}
