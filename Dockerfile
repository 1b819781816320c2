# The service's image: TypeScript compiled in one stage, production dependencies only in the next.
# Plain Dockerfile syntax (no BuildKit-only features), so the classic builder builds it too.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json app.ts server.ts dev.ts ./
COPY lib ./lib
COPY migrations ./migrations
COPY plugins ./plugins
COPY routes ./routes
COPY schemas ./schemas
COPY scripts ./scripts
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# NODE_OPTIONS: a bounded heap, as package.json's config.node_options gives `npm start` and the
# benchmark (README, "Performance": V8 otherwise sizes it from the host's memory).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=16 --max-old-space-size=256" \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# ECS ignores this (the task definition has its own); plain `docker run` uses it. A 1 s
# interval, so a new container reports healthy within about 1.5 s of starting (the classic
# builder has no --start-interval); each check costs one short-lived node process.
HEALTHCHECK --interval=1s --timeout=2s --start-period=10s --retries=3 \
  CMD ["node", "dist/scripts/healthcheck.js"]
# Exec form: node is PID 1 and receives SIGTERM itself (ECS: initProcessEnabled reaps zombies).
CMD ["node", "dist/server.js"]
