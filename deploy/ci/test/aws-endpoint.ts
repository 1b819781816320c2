// A stand-in AWS endpoint on loopback for the checks that run the real AWS CLI against it
// (.ci/checks/40-push.sh, 45-aws-cli.sh): the CLI is given `--endpoint-url http://127.0.0.1:PORT`,
// parses and validates each command as it would for AWS, signs the request, and sends it here.
//   node deploy/ci/test/aws-endpoint.ts PORT LOG [ANSWERS.json]
// Each request is appended to LOG as a JSON line: the service and region of its SigV4 signature,
// the operation (X-Amz-Target of the JSON protocols, Action= of the query protocols) and the
// parameters as sent. ANSWERS maps "service:Operation" to the body to answer (an object for the
// JSON protocols, a string of XML for the query ones), read at each request, so that a check can
// change the answers between two runs; an answer { "error": { "code", "message", "status" } }
// is answered as AWS answers an error in that protocol ({Name} in its message: the request's
// parameter Name). A key "service:Operation?name=value" (one parameter) is taken before
// "service:Operation" for a request whose parameter name is value: ECR's answer for one
// repository. ecr:GetAuthorizationToken answers a
// token for user AWS and the password in ECR_PASSWORD, in ECR's shape. Anything else: {} or an
// empty result element.
import { appendFileSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const [port, log, answersFile] = process.argv.slice(2)
if (!port || !log) throw new Error('usage: aws-endpoint.ts PORT LOG [ANSWERS.json]')

createServer((request, response) => {
  let body = ''
  request.setEncoding('utf8')
  request.on('data', (chunk: string) => { body += chunk })
  request.on('end', () => {
    // AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=…, Signature=…
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? '')
    const [region, service] = scope ? [scope[1], scope[2]] : [null, null]
    const target = request.headers['x-amz-target']
    const json = typeof target === 'string'
    const query = json ? null : new URLSearchParams(body)
    const operation = json ? target.split('.').pop()! : query!.get('Action') ?? ''
    const parameters = json ? (body ? JSON.parse(body) : {}) : Object.fromEntries(query!)
    appendFileSync(log, JSON.stringify({ service, region, operation, parameters, signed: scope !== null }) + '\n')

    const answers: Record<string, unknown> = answersFile ? JSON.parse(readFileSync(answersFile, 'utf8')) : {}
    const key = Object.keys(answers).find((k) => {
      const [name, value] = k.split('?')[1]?.split('=') ?? []
      return k.startsWith(`${service}:${operation}?`) && String(parameters[name]) === value
    }) ?? `${service}:${operation}`
    const error = (answers[key] as { error?: { code: string, message: string, status?: number } } | undefined)?.error
    if (error) {
      const status = error.status ?? 400
      const message = error.message.replace(/\{(\w+)\}/g, (_, name: string) => String(parameters[name] ?? ''))
      if (json) response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: error.code, message }))
      else response.writeHead(status, { 'content-type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${message}</Message></Error><RequestId>0</RequestId></ErrorResponse>`)
      return
    }
    if (json) {
      let answer = answers[key] ?? {}
      if (key === 'ecr:GetAuthorizationToken') {
        answer = {
          authorizationData: [{
            authorizationToken: Buffer.from(`AWS:${process.env.ECR_PASSWORD ?? 'standin'}`).toString('base64'),
            expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
            proxyEndpoint: `https://${request.headers.host}`
          }]
        }
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer))
    } else {
      const answer = typeof answers[key] === 'string' ? answers[key] as string : `<${operation}Result/>`
      response.writeHead(200, { 'content-type': 'text/xml' })
        .end(`<${operation}Response xmlns="https://${service}.amazonaws.com/doc/">${answer}<ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></${operation}Response>`)
    }
  })
}).listen(Number(port), '127.0.0.1', () => console.log(`aws endpoint stand-in on http://127.0.0.1:${port}`))
