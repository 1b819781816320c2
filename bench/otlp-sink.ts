// A collector stand-in for the benchmark: an OTLP/HTTP endpoint (HOST, PORT) that reads each
// export and answers 200, in a process of its own, so the service's exports cost what they cost
// in use. GET / answers 200 (the start-up probe).
import http from 'node:http'

const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end())
})
server.keepAliveTimeout = 60_000
server.listen(Number(process.env.PORT), process.env.HOST)
