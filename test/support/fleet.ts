import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sql } from '../../src/stores/postgres-database.ts';
import { OpenAiStandIn } from './openai-stand-in.ts';
import { freshSchema } from './postgres.ts';
import { RoundRobinProxy } from './round-robin-proxy.ts';
import { type ServerProcess, startServer } from './server-process.ts';

/**
 * A deployment on one machine: `size` real server processes (`bun run src/main.ts`) sharing one
 * Postgres schema and one embedded index (one data folder, as one registered index must be),
 * answering from one OpenAI-compatible stand-in, behind a round-robin proxy with no stickiness.
 */
export interface Fleet {
  instances: ServerProcess[];
  proxy: RoundRobinProxy;
  llm: OpenAiStandIn;
  sql: Sql;
  env: Record<string, string>;
  /** Starts instance `i` again (after a test killed it), with the same environment. */
  restart(i: number): Promise<ServerProcess>;
  stop(): Promise<void>;
}

export async function startFleet(size: number, env: Record<string, string> = {}): Promise<Fleet> {
  const llm = new OpenAiStandIn().start();
  const { sql, schema, url } = await freshSchema();
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-fleet-'));
  const fleetEnv = {
    DATA_DIR: dataDir,
    DATABASE_URL: `${url}?search_path=${schema}`,
    LLM_BASE_URL: llm.url,
    LOG_LEVEL: 'info',
    ...env,
  };
  const instances: ServerProcess[] = [];
  const stopAll = async () => {
    for (const s of instances) if (s.alive()) s.proc.kill('SIGKILL');
    await Promise.all(instances.map((s) => s.proc.exited));
  };
  try {
    // The first one ingests the sample documents; the others find them in the shared index.
    const first = await startServer(fleetEnv);
    instances.push(first);
    const deadline = Date.now() + 30_000;
    while (!first.log().includes('ingested the sample documents')) {
      if (Date.now() > deadline) throw new Error(`the first instance did not seed: ${first.log().slice(-2000)}`);
      await Bun.sleep(50);
    }
    instances.push(...(await Promise.all(Array.from({ length: size - 1 }, () => startServer(fleetEnv)))));
  } catch (error) {
    await stopAll();
    await llm.stop();
    throw error;
  }
  const proxy = new RoundRobinProxy(instances.map((s) => s.url)).start();
  return {
    instances,
    proxy,
    llm,
    sql,
    env: fleetEnv,
    restart: async (i) => {
      const server = await startServer(fleetEnv);
      instances[i] = server;
      proxy.upstreams[i] = server.url;
      return server;
    },
    stop: async () => {
      await proxy.stop();
      await stopAll();
      await llm.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
