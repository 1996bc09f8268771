import { join } from 'node:path';
import type { Subprocess } from 'bun';

/** The repository root: where `bun run src/main.ts` runs, as `npm start` does. */
export const ROOT = join(import.meta.dir, '..', '..');

/** A real ragchat server process, listening on a port of its own. */
export interface ServerProcess {
  url: string;
  port: number;
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Everything the server wrote so far, stdout and stderr together. */
  log(): string;
  /** True while the process has neither exited nor been killed. */
  alive(): boolean;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/** Hands each piece of a process's output to `append`, as text, until the stream ends. */
export async function readText(stream: ReadableStream<Uint8Array>, append: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    append(decoder.decode(value, { stream: true }));
  }
}

/**
 * Starts `bun run src/main.ts` on a free port (PORT=0) with the offline answerer and the local
 * embedder, and resolves once it logs its URL. `env` adds to (or overrides) that environment, a
 * variable given as undefined is left out; DATA_DIR belongs in it.
 */
export async function startServer(
  env: Record<string, string | undefined>,
  startTimeoutMs = 30_000,
): Promise<ServerProcess> {
  const merged = { ...process.env, PORT: '0', OPENAI_API_KEY: '', LLM_BASE_URL: '', EMBEDDINGS_BASE_URL: '', ...env };
  const proc = Bun.spawn([process.execPath, 'run', 'src/main.ts'], {
    cwd: ROOT,
    env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Record<string, string>,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let log = '';
  const append = (text: string) => {
    log += text;
  };
  void readText(proc.stdout, append);
  void readText(proc.stderr, append);
  const deadline = Date.now() + startTimeoutMs;
  let url = '';
  while (!url) {
    url = log.match(/"message":"ragchat is listening","url":"([^"]+)"/)?.[1] ?? '';
    if (url) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      throw new Error(`the server did not start (exit ${proc.exitCode}): ${log.slice(-2000)}`);
    }
    await Bun.sleep(20);
  }
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    log: () => log,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    stop: async () => {
      proc.kill('SIGTERM');
      return proc.exited;
    },
  };
}

/** `ragchat user:create`, the password piped on stdin as an operator would; throws unless it worked. */
export async function createUser(
  env: Record<string, string>,
  who: { email: string; password: string; admin?: boolean },
): Promise<void> {
  const proc = Bun.spawn(
    [process.execPath, 'run', 'src/main.ts', 'user:create', '--email', who.email, ...(who.admin ? ['--admin'] : [])],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdin: new TextEncoder().encode(`${who.password}\n`),
      stdout: 'pipe',
      stderr: 'pipe',
    },
  );
  if ((await proc.exited) !== 0) {
    throw new Error(`user:create failed: ${await new Response(proc.stderr).text()}`);
  }
}
