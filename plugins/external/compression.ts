import { constants } from 'node:zlib'
import fp from 'fastify-plugin'
import compress from '@fastify/compress'
import type { FastifyInstance, HTTPMethods, RouteOptions } from 'fastify'

const BODILESS: ReadonlySet<string> = new Set<HTTPMethods>(['GET', 'HEAD'])

/** Whether `route` takes no request body: every method it answers is GET or HEAD (Fastify parses none for those). */
export function takesNoBody (route: Pick<RouteOptions, 'method'>): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  return methods.every((method) => BODILESS.has(method.toUpperCase()))
}

/**
 * br and gzip for answers over 1 KiB (smaller ones gain nothing), and request bodies sent
 * compressed. Each costs hooks on every request of a route that has them, so they are where they
 * can do something: a route whose answers are a few short fields says `compress: false` (@fastify/compress's
 * route option: no hooks), and a route that takes no body gets no decompression hook.
 */
export default fp(async function compression (fastify: FastifyInstance) {
  // Before @fastify/compress's own onRoute hook, which reads the option.
  fastify.addHook('onRoute', (route) => {
    if (route.decompress === undefined && takesNoBody(route)) route.decompress = false
  })
  await fastify.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip'],
    // Quality 11, brotli's default, costs far more CPU than it saves on small JSON.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }
  })
}, { name: 'compression' })
