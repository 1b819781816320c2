// A collector stand-in for the benchmark: an OTLP/HTTP endpoint (HOST, PORT) that reads each
// export and answers 200, in a process of its own, so the service's exports cost what they cost
// in use. GET / answers 200 (the start-up probe); GET /received, the bytes of the exports so far
// by path (`/v1/traces`, `/v1/metrics`, `/v1/logs`).
import http from 'node:http'

const received: Record<string, number> = {}
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received))
    return
  }
  const path = req.url ?? '/'
  req.on('data', (chunk: Buffer) => { received[path] = (received[path] ?? 0) + chunk.length })
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end())
})
server.keepAliveTimeout = 60_000
server.listen(Number(process.env.PORT), process.env.HOST)
