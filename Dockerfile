# One image for the three services; the command picks the app.
#   docker build -t sluice .
#   docker run sluice node --max-semi-space-size=64 --initial-old-space-size=192 --no-memory-reducer dist/apps/gateway/src/main.js
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patches/: fixes to dependencies, applied by patch-package on install (see patches/README.md).
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-slim
# V8 flags (command-line only: NODE_OPTIONS refuses the last two), docs/benchmarks.md "What changed":
# a 64 MB young generation (default 16 MB): short-lived objects per request and per streamed chunk are
# collected less often (+1-7% requests/s on one core, +60-120 MB RSS); the old generation starts at a
# 192 MB limit and is not shrunk when traffic drops (no memory reducer): otherwise V8 grows it again in
# 10-53 ms full collections whenever load comes back, which made the p99 at 200 req/s 20-40 ms. The
# floor leaves room for a full young generation above the live heap; at 128 MB V8 collected in full
# every 1.7 s once the young generation had grown under load.
ENV NODE_ENV=production SLUICE_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/package.json ./package.json
USER node
CMD ["node", "--max-semi-space-size=64", "--initial-old-space-size=192", "--no-memory-reducer", "dist/apps/standalone/src/main.js"]
