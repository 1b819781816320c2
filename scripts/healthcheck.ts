// Container health check (Dockerfile HEALTHCHECK): exit 0 when /health/live answers 200.
// Liveness only, so a database outage does not get the container restarted.
const port = process.env.PORT ?? '3000'
try {
  const res = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2_000) })
  process.exitCode = res.ok ? 0 : 1
} catch {
  process.exitCode = 1
}
