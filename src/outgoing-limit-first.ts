/**
 * Runs before any other module of the server (src/http/outgoing-limit.ts says why it must): when
 * Bun's limit on outgoing requests is not set, the process restarts itself with it here, before a
 * database or a socket is opened. Two ways in: bunfig.toml preloads it, which Bun runs before it
 * even reads the server's modules (so `npm start` or `bun run src/main.ts` restarts in a few
 * milliseconds); and main.ts imports it first, for the compiled binary, which reads no bunfig.toml
 * of ours (modules run in import order; the binary has read them all by then, in a few milliseconds;
 * `bun run` would read half a second's worth twice).
 * As a preload it runs before every script and test here too, and acts only for the server.
 */
import { join } from 'node:path';
import { isCompiledBinary, liftOutgoingLimit } from './http/outgoing-limit.ts';

if (isCompiledBinary(Bun.main) || Bun.main === join(import.meta.dir, 'main.ts')) {
  liftOutgoingLimit({
    env: process.env,
    argv: process.argv,
    execArgv: process.execArgv,
    execPath: process.execPath,
    main: Bun.main,
  });
}
