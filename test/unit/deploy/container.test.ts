import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.ts';
import { HostPolicy } from '../../../src/http/host-policy.ts';
import { Metrics } from '../../../src/observability/metrics.ts';

/**
 * No Docker engine runs here, so the container files are checked as data: they must agree with
 * the app's configuration schema and with each other (ports, hosts, credentials, bucket, health).
 */
const ROOT = join(import.meta.dir, '..', '..', '..');
const dockerfile = await Bun.file(join(ROOT, 'Dockerfile')).text();

interface Service {
  build?: string;
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  entrypoint?: string[];
  command?: string;
}
const compose = Bun.YAML.parse(await Bun.file(join(ROOT, 'docker-compose.yml')).text()) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const app = compose.services.ragchat as Service;
const env = app.environment as Record<string, string>;

/** `${NAME:-default}` as compose resolves it with NAME unset. */
const resolveDefaults = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

test('the image builds the single binary with npm, runs it as non-root in a minimal image, with a health check', () => {
  expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
  expect(dockerfile).toContain('RUN npm ci');
  expect(dockerfile).toContain('npm run build');
  // glibc and nothing more: the binary links against libc, libm, libpthread and libdl only.
  expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/base-nossl-debian12:nonroot$/m);
  expect(dockerfile).toMatch(/COPY --from=build \/src\/dist\/ragchat /);
  // The assets and the sample corpus are inside the binary (test/unit/deploy/binary.test.ts).
  expect(dockerfile).not.toMatch(/COPY --from=build \/src\/(assets|ingest)/);
  expect(dockerfile).toMatch(/^USER 65532:65532$/m);
  expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["\/app\/ragchat", "healthcheck"\]$/m);
  expect(dockerfile).toMatch(/ENV HOST=0\.0\.0\.0 PORT=3000 DATA_DIR=\/data/);
  expect(dockerfile).toContain('EXPOSE 3000');
});

test("the app's environment in compose passes the app's own configuration schema and selects every production backend", () => {
  const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolveDefaults(v)]));
  const config = loadConfig(resolved);
  expect(config.database?.url).toBe('postgres://ragchat:ragchat@postgres:5432/ragchat');
  expect(config.qdrant?.url).toBe('http://qdrant:6333');
  expect(config.docsBucket).toEqual({ bucket: 'ragchat-docs', prefix: 'documents/' });
  expect(config.s3Connection).toMatchObject({ endpoint: 'http://minio:9000', forcePathStyle: true });
  expect(app.ports).toContain(`${config.port}:${config.port}`);
  // Every variable compose sets is one the app reads (or the AWS SDK's own credentials).
  const known = new Set(Object.keys(resolved));
  for (const name of known) {
    expect(name).toMatch(
      /^(PORT|DATABASE_URL|QDRANT_URL|QDRANT_COLLECTION|DOCS_BUCKET|S3_ENDPOINT|S3_FORCE_PATH_STYLE|S3_REGION|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|OPENAI_API_KEY|LLM_BASE_URL|LLM_MODEL|EMBEDDINGS_BASE_URL|EMBEDDING_MODEL|LOG_LEVEL|ALLOWED_HOSTS)$/,
    );
  }
});

test('the services agree with each other: credentials, hosts, ports, bucket', () => {
  const { postgres, qdrant, minio } = compose.services as Record<string, Service>;
  const db = new URL(env.DATABASE_URL as string);
  expect(db.hostname in compose.services).toBe(true);
  expect(postgres?.environment).toMatchObject({
    POSTGRES_USER: db.username,
    POSTGRES_PASSWORD: db.password,
    POSTGRES_DB: db.pathname.slice(1),
  });
  expect(new URL(env.QDRANT_URL as string).port).toBe('6333');
  expect(qdrant?.image).toBe('qdrant/qdrant:v1.19.0');
  expect(minio?.environment).toMatchObject({
    MINIO_ROOT_USER: env.AWS_ACCESS_KEY_ID,
    MINIO_ROOT_PASSWORD: env.AWS_SECRET_ACCESS_KEY,
  });
  const init = (compose.services['minio-bucket']?.entrypoint ?? []).join(' ');
  expect(init).toContain(`mc mb --ignore-existing local/${env.DOCS_BUCKET}`);
  expect(init).toContain(`${env.AWS_ACCESS_KEY_ID} ${env.AWS_SECRET_ACCESS_KEY}`);
});

test('every service has a health check, and the app waits for what it needs', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    if (name === 'minio-bucket') continue; // a one-shot job
    expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
  }
  expect(app.depends_on).toEqual({
    postgres: { condition: 'service_healthy' },
    qdrant: { condition: 'service_healthy' },
    'minio-bucket': { condition: 'service_completed_successfully' },
  });
  expect(app.healthcheck?.test).toEqual(['CMD', '/app/ragchat', 'healthcheck']);
  for (const volume of ['ragchat-data', 'postgres-data', 'qdrant-data', 'minio-data'])
    expect(volume in compose.volumes).toBe(true);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax, on purpose.
  expect(env.OPENAI_API_KEY).toBe('${OPENAI_API_KEY:-}');
});

test('the build script compiles src/main.ts into dist/ragchat, and `ragchat healthcheck` reports on a server', async () => {
  const pkg = await Bun.file(join(ROOT, 'package.json')).json();
  expect(pkg.scripts.build).toContain('bun build --compile');
  expect(pkg.scripts.build).toContain('--outfile dist/ragchat');
  expect(pkg.scripts.build).toContain('--asset assets --asset ingest/sample-docs');
  expect(pkg.devDependencies.bun).toMatch(/^1\.4\./);
  const down = Bun.spawn([process.execPath, 'run', 'src/main.ts', 'healthcheck'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '9' },
  });
  expect(await down.exited).toBe(1);
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ status: 'ok' }) });
  try {
    const up = Bun.spawn([process.execPath, 'run', 'src/main.ts', 'healthcheck'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(server.port) },
    });
    expect(await up.exited).toBe(0);
  } finally {
    server.stop(true);
  }
});

test('Prometheus in compose scrapes the app where it serves /metrics, and the app serves it there', () => {
  const { prometheus, grafana } = compose.services as Record<string, Service>;
  const mounted = (service: Service | undefined, inside: string) =>
    service?.volumes?.find((v) => v.split(':')[1] === inside)?.split(':')[0];
  const configFile = mounted(prometheus, '/etc/prometheus/prometheus.yml') as string;
  expect(configFile).toBe('./deploy/prometheus/prometheus.yml');
  const scrape = Bun.YAML.parse(readFileSync(join(ROOT, configFile), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
  };
  const job = scrape.scrape_configs.find((j) => j.job_name === 'ragchat');
  expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
  const [host, port] = (job?.static_configs[0]?.targets[0] ?? '').split(':');
  expect(host).toBe('ragchat');
  const config = loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolveDefaults(v)])));
  expect(Number(port)).toBe(config.port);
  // The name Prometheus addresses the app by is one it answers to (any other is refused).
  expect(new HostPolicy(config.allowedHosts).allows(`${host}:${port}`)).toBe(true);
  // No accounts in the local stack, no token: the app serves /metrics on its main port.
  expect(config.metrics.open).toBe(true);
  // Grafana gets the dashboard and its data source from the repository.
  expect(mounted(grafana, '/var/lib/grafana/dashboards')).toBe('./deploy/grafana/dashboards');
  const datasources = readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
  expect(datasources).toContain('url: http://prometheus:9090');
  for (const volume of ['prometheus-data', 'grafana-data']) expect(volume in compose.volumes).toBe(true);
});

test('every series the Grafana dashboard queries is one the app exports', async () => {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/ragchat.json'), 'utf8')) as {
    uid: string;
    panels: { title: string; targets: { expr: string; datasource: { uid: string } }[] }[];
  };
  const metrics = new Metrics({ processMetrics: true });
  const exported = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    exported.add(m.name);
    if (String(m.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${m.name}${suffix}`);
  }
  expect(dashboard.panels.length).toBeGreaterThan(10);
  for (const panel of dashboard.panels) {
    expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    for (const target of panel.targets) {
      expect(target.datasource.uid).toBe('prometheus');
      const used = target.expr.match(/\bragchat_\w+/g) ?? [];
      expect(used.length, panel.title).toBeGreaterThan(0);
      for (const name of used) expect(exported.has(name), `${panel.title}: ${name}`).toBe(true);
    }
  }
});
