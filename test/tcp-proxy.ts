import net from 'node:net'

/**
 * A TCP relay on a loopback port in front of a real server: `stop()` refuses new connections
 * and cuts the open ones (as a crashed or failed-over server would), `start()` serves again
 * on the same port. Lets a test take PostgreSQL or Redis away from the service and give it back.
 */
export class TcpProxy {
  port = 0
  #server?: net.Server
  #sockets = new Set<net.Socket>()
  readonly #target: { host: string, port: number }

  constructor (target: { host: string, port: number }) {
    this.#target = target
  }

  static forUrl (url: string): TcpProxy {
    const { hostname, port } = new URL(url)
    return new TcpProxy({ host: hostname, port: Number(port) })
  }

  /** The same URL, through this relay. */
  url (original: string): string {
    const url = new URL(original)
    url.host = `127.0.0.1:${this.port}`
    return url.toString()
  }

  async start (): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#target)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => { client.destroy(); upstream.destroy() })
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as net.AddressInfo).port
    this.#server = server
  }

  async stop (): Promise<void> {
    const server = this.#server
    this.#server = undefined
    for (const socket of this.#sockets) socket.destroy()
    if (server) await new Promise((resolve) => server.close(resolve))
  }
}
