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
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# ECS ignores this (the task definition has its own); docker and compose use it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=1s --retries=3 \
  CMD ["node", "dist/scripts/healthcheck.js"]
# Exec form: node is PID 1 and receives SIGTERM itself (ECS: initProcessEnabled reaps zombies).
CMD ["node", "dist/server.js"]
