# Dafne Node — production image. Multi-stage: build with dev dependencies, run without them.
# Build:  docker build -t dafne-node .
# Run:    docker run -p 8080:8080 -v dafne-data:/var/lib/dafne -v $PWD/site.yaml:/etc/dafne/site.yaml:ro \
#           -e DAFNE_CONFIG=/etc/dafne/site.yaml -e HOST=0.0.0.0 dafne-node
# HOST=0.0.0.0 requires auth.tokens in the mounted config (the node refuses to listen otherwise).

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
# tsconfig.json compiles src, migrations, test, bench and experiments together; the viewer step
# (scripts/fetch-ohif.mjs) fetches the pinned @ohif/app tarball from the npm registry into vendor/,
# and ohif-extension/ and console/ are bundled by esbuild into dist/.
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
COPY test ./test
COPY bench ./bench
COPY experiments ./experiments
COPY ohif-extension ./ohif-extension
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
# MALLOC_MMAP_THRESHOLD_: glibc serves every allocation above 128 KiB by its own mmap and gives it
# back when freed, instead of raising the threshold after each large free and keeping freed
# buffers in its heaps (≈ 70 MiB of an idle node after one study; docs/operations.md#memory).
ENV NODE_ENV=production \
    DAFNE_DATA_DIR=/var/lib/dafne \
    DAFNE_CONFIG=/app/config/default.yaml \
    MALLOC_MMAP_THRESHOLD_=131072 \
    PORT=8080
WORKDIR /app
# A dedicated unprivileged user owns only the data directory.
RUN groupadd --system dafne && useradd --system --gid dafne --home-dir /var/lib/dafne dafne \
 && mkdir -p /var/lib/dafne && chown dafne:dafne /var/lib/dafne
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
COPY --from=build /app/dist/console ./dist/console
COPY --from=build /app/dist/viewer-ext ./dist/viewer-ext
COPY --from=build /app/vendor ./vendor
COPY package.json ./
COPY bin ./bin
COPY config ./config
# The shipped demo model (models/leg-demo), registered on a fresh node (src/learning/ensure-demo.ts).
COPY models ./models
USER dafne
VOLUME ["/var/lib/dafne"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--max-semi-space-size=2", "--max-old-space-size=1024", "bin/dafne-node.js"]
CMD ["serve"]
