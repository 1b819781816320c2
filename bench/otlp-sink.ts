// A collector stand-in for the benchmark: an OTLP/HTTP endpoint (HOST, PORT) that reads each
// export and answers 200, in a process of its own, so the service's exports cost what they cost
// in use. GET / answers 200 (the start-up probe); GET /received, the bytes of the exports so far.
import http from 'node:http'

let received = 0
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: received }))
    return
  }
  req.on('data', (chunk: Buffer) => { received += chunk.length })
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end())
})
server.keepAliveTimeout = 60_000
server.listen(Number(process.env.PORT), process.env.HOST)
