# ragchat as one binary in a minimal image.
#   docker build -t ragchat .
#   docker run -p 3000:3000 -v ragchat-data:/data ragchat
# The binary carries the page's assets and the sample corpus (bun build --compile --asset), so it
# is the image's only file of ours. Image size: about 155 MB, of which the binary (the Bun runtime
# and the app's bytecode) is 141 MB and the base image about 14 MB (see the README).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Bun comes from npm like every other dependency; postinstall copies htmx into assets/vendor.
COPY scripts ./scripts
COPY assets ./assets
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && mkdir -p /out/data

# distroless/base-nossl: glibc (all the Bun binary links against: libc, libm, libpthread, libdl;
# see `ldd dist/ragchat`) and CA certificates; no libstdc++, no OpenSSL (Bun has its own TLS), no
# shell, no package manager. The :nonroot tag runs as uid 65532.
FROM gcr.io/distroless/base-nossl-debian12:nonroot
WORKDIR /app
COPY --from=build /src/dist/ragchat /app/ragchat
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
