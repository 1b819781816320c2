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
