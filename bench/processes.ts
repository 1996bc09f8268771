/**
 * The benchmark's processes (the fake provider, the ragchat server) and what Linux says about
 * them: CPU time from `/proc/<pid>/stat`, memory from `/proc/<pid>/status`. Each process is pinned
 * to a core with `taskset` where it exists, so the server's CPU is its own.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

export const ROOT = join(import.meta.dir, '..');

/** The server's core and the load's (the driver and the fake provider). */
export const SERVER_CORE = 1;
export const LOAD_CORE = 0;

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
/** The machine's cores: not `navigator.hardwareConcurrency`, which counts only those this process is pinned to. */
export const MACHINE_CORES = cpus().length;

/** The command pinned to `core`, when taskset exists and the machine has that core. */
export function pinned(core: number, command: string[]): string[] {
  return TASKSET && MACHINE_CORES > core ? [TASKSET, '-c', String(core), ...command] : command;
}

export const canPin = (): boolean => TASKSET !== undefined && MACHINE_CORES > SERVER_CORE;

/** Clock ticks per second, the unit of /proc/<pid>/stat's times (`getconf CLK_TCK`, 100 on Linux). */
export function clockTicks(): number {
  try {
    const out = Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim();
    return /^\d+$/.test(out) ? Number(out) : 100;
  } catch {
    return 100;
  }
}

/** User plus system CPU time of a process so far, in ms; NaN where /proc is absent. */
export function cpuMs(pid: number, ticksPerSecond: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15, so 11 and 12 after the state (field 3).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/** Resident memory now and its peak since start (or since `resetPeakRss`), in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

/** Resets VmHWM to the current RSS (proc(5), clear_refs "5"), so each part reports its own peak. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

export interface Child {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  log(): string;
  stop(): Promise<void>;
}

/** Spawns `command`, keeping what it prints (the last 64 KiB) for error messages. */
export function spawnChild(command: string[], env: Record<string, string>, cwd = ROOT): Child {
  const proc = Bun.spawn(command, { cwd, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let log = '';
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      log = (log + decoder.decode(value, { stream: true })).slice(-65_536);
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return {
    proc,
    log: () => log,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(30_000).then(() => false)]);
      if (!exited) proc.kill('SIGKILL');
    },
  };
}

/** Waits until `ready()` holds, failing with the child's output if it exits or time runs out. */
export async function waitFor(child: Child, what: string, ready: () => Promise<boolean>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (child.proc.exitCode !== null || performance.now() > deadline) {
      await child.stop();
      throw new Error(`${what} did not start (exit ${child.proc.exitCode}):\n${child.log().slice(-3000)}`);
    }
    await Bun.sleep(50);
  }
}
