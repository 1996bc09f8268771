// First, as a bare import (never reordered): it may restart the process before the rest is loaded.
import './outgoing-limit-first.ts';
import { createApp } from './app.tsx';
import { MAX_BODY_BYTES, uploadBodyLimit } from './http/body-limit.ts';
import { outgoingLimit, outgoingLimitProblem } from './http/outgoing-limit.ts';
import { listenOptions, openFilesLimit } from './http/serve.ts';
import { startMetricsListener } from './observability/metrics-routes.ts';
import { seedIfEmpty } from './seed.ts';
import { openDepsOrExit } from './startup.ts';

/**
 * The composition root: config → deps → app → listen. Entry points (this, with its subcommands, and ingest/cli.ts) are the
 * only modules that read process.env.
 */
/**
 * `ragchat healthcheck`: for container health checks in images with no shell or curl. Exits 0
 * when this machine's server answers /healthz.
 */
async function healthcheck(): Promise<never> {
  const port = process.env.PORT || '3000';
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    process.exit(res.ok ? 0 : 1);
  } catch {
    process.exit(1);
  }
}

async function main() {
  const deps = await openDepsOrExit(process.env, { processMetrics: true });
  const { config } = deps;
  // Only servers sweep orphaned answers (the ingest command shares the database and must not).
  // Also this instance's part of the fleet: Stops from other instances, flushes, the heartbeat.
  const stopMaintenance = await deps.chat.startMaintenance(config.live.sweepMs);
  const app = createApp(deps).listen(
    listenOptions(
      config,
      // A backstop above the app's own limit (which answers with a readable 413) for bodies sent
      // without a Content-Length.
      2 * Math.max(MAX_BODY_BYTES, uploadBodyLimit(config.uploads.maxBytes)),
    ),
  );
  // After listening: the probes answer while the sample corpus is read (the tokenizer's tables and
  // the embeddings take a few hundred ms locally, longer with a remote embedder), and a failed seed
  // (an embedding server that is down) never keeps the chat from starting.
  const seeding = seedIfEmpty(deps).catch((error) =>
    deps.logger.error('could not ingest the sample documents', { error }),
  );
  const metricsListener = config.metrics.port
    ? startMetricsListener(deps.telemetry, config.metrics.port, config.host)
    : null;
  deps.logger.info('ragchat is listening', {
    url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${app.server?.port}`,
    llm: deps.llm.offline ? 'offline answerer' : deps.llm.model,
    embeddings: deps.embedder.model,
    metrics: metricsListener
      ? `/metrics on port ${metricsListener.port}`
      : config.metrics.token
        ? '/metrics with METRICS_TOKEN'
        : config.metrics.open
          ? '/metrics'
          : 'off (set METRICS_TOKEN or METRICS_PORT)',
    traces: config.tracing ? 'OTLP/HTTP' : 'off',
    // Each socket is a file: the fewer allowed, the fewer clients before new ones are refused.
    openFiles: openFilesLimit() ?? 'unknown',
    // Each answer streams from the model over one outgoing request; more wait in Bun's queue.
    outgoingRequests: outgoingLimit(process.env),
    // Postgres connections this instance may open (pool + lock pool + listener; infra/README.md).
    databaseConnections: deps.databaseConnections,
    instance: deps.instanceId,
    fleet: deps.coordinator.shared ? 'postgres (Stop, followers, caps and rate limits shared)' : 'this process',
  });
  const limitProblem = outgoingLimitProblem();
  if (limitProblem) {
    deps.logger.warn('outgoing requests are capped at 256: answers beyond that wait for one to end', {
      reason: limitProblem,
      fix: 'set BUN_CONFIG_MAX_HTTP_REQUESTS=65535 in the environment that starts ragchat',
    });
  }

  // One bad request or stream must never take the server down with it.
  process.on('unhandledRejection', (error) => deps.logger.error('unhandled rejection', { error }));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info('shutting down', { signal, answersInFlight: deps.chat.activeCount });
    // Finish answers in flight (up to 25 s, inside ECS's default 30 s stop timeout), then close.
    await deps.chat.shutdown(25_000);
    await seeding;
    stopMaintenance();
    metricsListener?.stop();
    await app.stop();
    await deps.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

// Subcommands, so that the one compiled binary also runs the one-off tasks a deployment needs.
// Each is imported when asked for: the server does not load what only they use (postgres.js).
const [command, ...rest] = process.argv.slice(2);
if (command === 'healthcheck') await healthcheck();
else if (command === 'ingest') process.exit(await (await import('./cli/ingest-command.ts')).runIngestCommand(rest));
else if (command === 'migrate')
  process.exit(await (await import('./cli/migrate-command.ts')).runMigrateCommand(process.env));
else if (command === 'eval')
  process.exit(await (await import('./cli/eval-command.ts')).runEvalCommand(rest, process.env));
else if (command === 'eval-answers')
  process.exit(await (await import('./cli/eval-answers-command.ts')).runEvalAnswersCommand(rest, process.env));
else if (command === 'user:create')
  process.exit(await (await import('./cli/user-command.ts')).runUserCreateCommand(rest, process.env));
else if (command !== undefined) {
  console.error(
    `Unknown command "${command}". Use: ragchat [healthcheck | ingest ... | migrate | eval <dir> | eval-answers | user:create --email ...]`,
  );
  process.exit(2);
} else await main();
