# ragchat as one binary in a minimal image.
#   docker build -t ragchat .
#   docker run -p 3000:3000 -v ragchat-data:/data ragchat
# Image size: about 140 MB, of which the compiled binary (Bun runtime included) is 113 MB.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Bun comes from npm like every other dependency; postinstall copies htmx into assets/vendor.
COPY scripts ./scripts
COPY assets ./assets
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && mkdir -p /out/data

# distroless/cc: glibc and libstdc++ (what the Bun binary links against), no shell, no package
# manager; the :nonroot tag runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=build /src/dist/ragchat /app/ragchat
COPY --from=build /src/assets /app/assets
COPY --from=build /src/ingest/sample-docs /app/ingest/sample-docs
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# BUN_CONFIG_MAX_HTTP_REQUESTS: Bun's cap on outgoing requests at once (256 unless set, read only at
# start); each answer streams from the model over one. Without it the binary restarts itself to set it.
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/data NODE_ENV=production BUN_CONFIG_MAX_HTTP_REQUESTS=65535
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["/app/ragchat", "healthcheck"]
# SIGTERM lets answers in flight finish (up to 25 s) before the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/ragchat"]
