import t from 'tap'
import { clientAddress } from '../../lib/client-address.ts'

t.test('an IP address derived from X-Forwarded-For is kept, IPv4 and IPv6', async (t) => {
  t.equal(clientAddress('198.51.100.7', '10.0.0.2'), '198.51.100.7')
  t.equal(clientAddress('2001:db8::1', '10.0.0.2'), '2001:db8::1')
})

t.test('text that is not an IP address falls back to the peer', async (t) => {
  for (const junk of ['<script>alert(1)</script>', 'x'.repeat(8000), "1' OR '1'='1", '999.1.1.1', '', '1.2.3.4/8']) {
    t.equal(clientAddress(junk, '127.0.0.1'), '127.0.0.1', junk.slice(0, 30))
  }
})

t.test('no address at all is null, never undefined', async (t) => {
  t.equal(clientAddress(undefined, undefined), null)
  t.equal(clientAddress('junk', 'junk'), null)
})

t.test('isAddress reads every string as net.isIP does', async (t) => {
  const fc = (await import('fast-check')).default
  const { isIP } = await import('node:net')
  const { isAddress } = await import('../../lib/client-address.ts')
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^0\d{1,2}$/), fc.constant(''), fc.stringMatching(/^\d{4}$/))
  const dotted = fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'))
  const near = fc.tuple(dotted, fc.constantFrom('', ' ', '.', 'a', ':', '\n', '%')).map(([d, tail]) => d + tail)
  fc.assert(fc.property(fc.oneof(dotted, near, fc.ipV4(), fc.ipV6(), fc.string()), (text) => isAddress(text) === (isIP(text) !== 0)), { numRuns: 20_000 })
  for (const text of ['0.0.0.0', '255.255.255.255', '1.2.3.4', '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '::1', '::ffff:127.0.0.1', '1.2.3.4 ']) t.equal(isAddress(text), isIP(text) !== 0, JSON.stringify(text))
})
