# ragchat as one binary. Build: docker build -t ragchat .  Run: docker run -p 3000:3000 -v ragchat-data:/data ragchat
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Bun comes from npm like every other dependency; postinstall copies htmx into assets/vendor.
COPY scripts ./scripts
COPY assets ./assets
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /app ragchat && mkdir -p /data && chown ragchat /data
WORKDIR /app
COPY --from=build /src/dist/ragchat /app/ragchat
COPY --from=build /src/assets /app/assets
COPY --from=build /src/ingest/sample-docs /app/ingest/sample-docs
USER ragchat
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/data NODE_ENV=production
EXPOSE 3000
# SIGTERM lets answers in flight finish (up to 25 s) before the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/ragchat"]
