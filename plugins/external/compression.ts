import { constants } from 'node:zlib'
import fp from 'fastify-plugin'
import compress from '@fastify/compress'
import type { FastifyInstance } from 'fastify'

/** br and gzip for answers over 1 KiB (smaller ones gain nothing). */
export default fp(async function compression (fastify: FastifyInstance) {
  await fastify.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip'],
    // Quality 11, brotli's default, costs far more CPU than it saves on small JSON.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }
  })
}, { name: 'compression' })
