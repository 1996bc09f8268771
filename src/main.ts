// First, as a bare import (never reordered): it may restart the process before the rest is loaded.
import './outgoing-limit-first.ts';
import { createApp } from './app.tsx';
import type { PasswordInput } from './cli/user-command.ts';
import { MAX_BODY_BYTES, uploadBodyLimit } from './http/body-limit.ts';
import { outgoingLimit, outgoingLimitProblem } from './http/outgoing-limit.ts';
import { listenOptions, openFilesLimit } from './http/serve.ts';
import { startMetricsListener } from './observability/metrics-routes.ts';
import { seedIfEmpty } from './seed.ts';
import { openDepsOrReport } from './startup.ts';

type Env = Record<string, string | undefined>;

/**
 * The composition root: config → deps → start-up → app → listen. Entry points (this, with its
 * subcommands, and ingest/cli.ts) are the only modules that read process.env, and only to pass it
 * to `run`.
 */

export const USAGE =
  'Use: ragchat [healthcheck | ingest ... | migrate | eval <dir> | eval-answers | user:create --email ...]';

/**
 * The server, or one of the one-off tasks a deployment needs, so that the one compiled binary runs
 * them all. Returns the exit code (the server's once it has shut down). Each subcommand is imported
 * when asked for: the server does not load what only they use (postgres.js).
 */
export async function run(argv: string[], env: Env, stdin?: PasswordInput): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      return serve(env);
    case 'healthcheck':
      return healthcheck(env);
    case 'ingest':
      return (await import('./cli/ingest-command.ts')).runIngestCommand(rest, env);
    case 'migrate':
      return (await import('./cli/migrate-command.ts')).runMigrateCommand(env);
    case 'eval':
      return (await import('./cli/eval-command.ts')).runEvalCommand(rest, env);
    case 'eval-answers':
      return (await import('./cli/eval-answers-command.ts')).runEvalAnswersCommand(rest, env);
    case 'user:create':
      return (await import('./cli/user-command.ts')).runUserCreateCommand(rest, env, stdin);
    default:
      console.error(`Unknown command "${command}". ${USAGE}`);
      return 2;
  }
}

/**
 * `ragchat healthcheck`: for container health checks in images with no shell or curl. Exits 0
 * when this machine's server answers /healthz.
 */
async function healthcheck(env: Env): Promise<number> {
  const port = env.PORT || '3000';
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    return res.ok ? 0 : 1;
  } catch {
    return 1;
  }
}

/**
 * Serves until SIGTERM or SIGINT, then finishes the answers in flight and closes; resolves with
 * the exit code. Long for an entry point because each step's order matters and is said where it
 * happens: listen before seeding, the start-up line, then the shutdown in reverse order.
 */
async function serve(env: Env): Promise<number> {
  const deps = await openDepsOrReport(env, { processMetrics: true });
  if (!deps) return 1;
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
    outgoingRequests: outgoingLimit(env),
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

  const { promise: stopped, resolve } = Promise.withResolvers<number>();
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
    resolve(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return stopped;
}

if (import.meta.main) process.exit(await run(process.argv.slice(2), process.env));
