import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { clientAddress } from '../../lib/client-address.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's IP address, taken when the request arrived (lib/client-address.ts). */
    clientAddress: string | null
  }
}

/**
 * The client's address, read once as the request arrives. Read later (onResponse), a socket the
 * client already closed has no address any more: `request.ip` is then undefined.
 */
export default fp(async function clientAddressPlugin (fastify: FastifyInstance) {
  fastify.decorateRequest('clientAddress', null)
  fastify.addHook('onRequest', (request, _reply, done) => {
    request.clientAddress = clientAddress(request.ip, request.socket.remoteAddress)
    done()
  })
}, { name: 'client-address' })
