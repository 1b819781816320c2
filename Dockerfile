# The service's image: TypeScript compiled in one stage, production dependencies only in the next.
# Plain Dockerfile syntax (no BuildKit-only features), so the classic builder builds it too.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json app.ts server.ts dev.ts ./
COPY config ./config
COPY lib ./lib
COPY migrations ./migrations
COPY plugins ./plugins
COPY routes ./routes
COPY schemas ./schemas
COPY telemetry ./telemetry
COPY scripts ./scripts
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# NODE_OPTIONS: a bounded heap, as package.json's config.node_options gives `npm start` and the
# benchmark (bench/README.md, "Memory": V8 otherwise sizes it from the host's memory).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=16 --max-old-space-size=256" \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# CA bundles for verify-full TLS (certs/README.md: npm run push puts the RDS bundle there).
COPY certs/ ./certs/
USER node
# 3000: the service (nginx proxies it); 9464: /metrics, only with OTEL_METRICS_EXPORTER=prometheus.
EXPOSE 3000 9464
# Liveness for plain `docker run` and compose (ECS runs the same script from the task
# definition). Every 15 s for the container's life; while starting, every 1 s
# (--start-interval, Docker >= 25), so a new container is healthy within about a second of
# serving; failures in the 30 s start period do not count.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --start-interval=1s --retries=3 \
  CMD ["node", "dist/scripts/healthcheck.js"]
# Exec form: node is PID 1 and receives SIGTERM itself (ECS: initProcessEnabled reaps zombies).
# OpenTelemetry first (telemetry/preload.ts): it loads nothing unless an OTEL_* variable asks for it.
CMD ["node", "--import", "./dist/telemetry/preload.js", "dist/server.js"]
