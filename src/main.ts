import { createApp } from './app.tsx';
import { ConfigError, loadConfig } from './config.ts';
import { buildDeps, startupFailure } from './deps.ts';
import { seedIfEmpty } from './seed.ts';

/** The composition root: config → deps → app → listen. The only file that reads process.env. */
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  let deps: Awaited<ReturnType<typeof buildDeps>>;
  try {
    deps = await buildDeps(config);
    await seedIfEmpty(deps);
  } catch (error) {
    console.error(startupFailure(error));
    process.exit(1);
  }
  const app = createApp(deps).listen({
    port: config.port,
    hostname: config.host,
    // Answers can take minutes; Bun's default idle timeout (10 s) would cut a quiet stream.
    idleTimeout: 0,
    maxRequestBodySize: 1024 * 1024,
  });
  deps.logger.info('ragchat is listening', {
    url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${app.server?.port}`,
    llm: deps.llm.offline ? 'offline answerer' : deps.llm.model,
    embeddings: deps.embedder.model,
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info('shutting down', { signal, answersInFlight: deps.chat.activeCount });
    // Finish answers in flight (up to 25 s, inside ECS's default 30 s stop timeout), then close.
    await deps.chat.shutdown(25_000);
    await app.stop();
    await deps.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
