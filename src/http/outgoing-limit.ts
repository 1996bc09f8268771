import { dlopen, FFIType, ptr } from 'bun:ffi';

/**
 * Bun runs at most `BUN_CONFIG_MAX_HTTP_REQUESTS` outgoing `fetch` requests at once (256 unless it
 * is set) and queues the rest. Every answer streams from the model over one of them, so with the
 * default, answer 257 waits until one of the first 256 has ended. Bun reads the variable once,
 * when the process starts: setting `process.env` later changes nothing, bunfig.toml has no key for
 * it, and `bun build --compile` can bake arguments into the binary (`--compile-exec-argv`) but no
 * environment variable and no flag that sets this. So when it is missing, the server replaces
 * itself (execve: same process id, arguments and environment, plus the variable) before anything
 * else has run. The Dockerfile and the ECS task set it themselves and never take this step.
 */
export const OUTGOING_LIMIT_VARIABLE = 'BUN_CONFIG_MAX_HTTP_REQUESTS';

/** Bun's largest allowed value ("must be a number between 1 and 65535"). */
export const MAX_OUTGOING_REQUESTS = 65_535;

export interface ProcessFacts {
  env: Record<string, string | undefined>;
  /** `process.argv`: the runtime, the script (a `/$bunfs/` path in a compiled binary), its arguments. */
  argv: readonly string[];
  /** Runtime flags (`--watch`, `--smol`, `--cpu-prof`); in a compiled binary, those baked into it. */
  execArgv: readonly string[];
  execPath: string;
  /** `Bun.main`: the entry module's path. */
  main: string;
}

/**
 * The command line that starts this same program again, or null when the limit is already set
 * (by the operator, to any value, or by an earlier pass: the guard against looping).
 */
export function restartCommand(facts: ProcessFacts): { argv: string[]; env: Record<string, string> } | null {
  if (facts.env[OUTGOING_LIMIT_VARIABLE]) return null;
  // A compiled binary applies its baked-in flags by itself and takes its arguments after argv[1];
  // `bun run file.ts` needs its flags and the script again.
  const argv = isCompiledBinary(facts.main)
    ? [facts.execPath, ...facts.argv.slice(2)]
    : [facts.execPath, ...facts.execArgv, ...facts.argv.slice(1)];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(facts.env)) if (value !== undefined) env[name] = value;
  env[OUTGOING_LIMIT_VARIABLE] = String(MAX_OUTGOING_REQUESTS);
  return { argv, env };
}

/** Whether `main` (`Bun.main`) is the entry of a `bun build --compile` binary, whose modules live in a virtual folder. */
export function isCompiledBinary(main: string): boolean {
  return main.startsWith('/$bunfs/') || /^[A-Z]:[\\/]~BUN[\\/]/.test(main);
}

/**
 * Restarts the process in place with the limit set, if it is not; returns only when that is not
 * needed or not possible (then with the reason, for the start-up log). Costs a few milliseconds
 * in a compiled binary, which has loaded nothing yet.
 */
export function liftOutgoingLimit(facts: ProcessFacts): string | null {
  problem = tryRestart(facts);
  return problem;
}

let problem: string | null = null;

/** Why the last `liftOutgoingLimit` could not restart the process; null when it did not need to. */
export function outgoingLimitProblem(): string | null {
  return problem;
}

function tryRestart(facts: ProcessFacts): string | null {
  const next = restartCommand(facts);
  if (!next) return null;
  if (process.platform !== 'linux' && process.platform !== 'darwin') return 'execve is not available on this platform';
  try {
    execve(next.argv, next.env);
  } catch (error) {
    return (error as Error).message;
  }
  return 'execve returned';
}

/** The outgoing-request limit this process runs with, for the start-up log. */
export function outgoingLimit(env: Record<string, string | undefined>): number {
  const value = Number(env[OUTGOING_LIMIT_VARIABLE]);
  return Number.isInteger(value) && value >= 1 ? value : 256;
}

function execve(argv: string[], env: Record<string, string>): void {
  // glibc's C library is libc.so.6 (the Docker image's distroless/cc has it), macOS's libSystem. Where
  // neither opens (musl, untried), this throws and the start-up log says the cap stayed at 256.
  const library = process.platform === 'darwin' ? '/usr/lib/libSystem.B.dylib' : 'libc.so.6';
  const libc = dlopen(library, { execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } });
  // The strings and pointer arrays stay referenced here until execve has copied them.
  const strings: Buffer[] = [];
  const cString = (s: string) => {
    const b = Buffer.from(`${s}\0`);
    strings.push(b);
    return b;
  };
  const pointers = (items: string[]) => {
    const array = new BigUint64Array(items.length + 1);
    items.forEach((item, i) => {
      array[i] = BigInt(ptr(cString(item)));
    });
    return array;
  };
  const path = cString(argv[0] as string);
  const argvArray = pointers(argv);
  const envArray = pointers(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  // Returns only on failure (errno is not reachable from here).
  libc.symbols.execve(ptr(path), ptr(argvArray), ptr(envArray));
  libc.close();
  throw new Error(`could not restart ${argv[0]} with ${OUTGOING_LIMIT_VARIABLE} set`);
}
