import { readFileSync } from 'node:fs';
import type { Config } from '../config.ts';

/**
 * What `app.listen()` is given. `idleTimeout` closes keep-alive sockets that carry no request; it
 * is also Bun's deadline for a request until `server.timeout()` moves it, which the
 * connection-limits plugin does for every request (src/http/connection-limits.ts).
 */
export function listenOptions(config: Config, maxRequestBodySize: number) {
  return {
    port: config.port,
    hostname: config.host,
    idleTimeout: config.connections.idleTimeoutS,
    maxRequestBodySize,
    // Never Bun's developer error page (paths and source lines), whatever NODE_ENV says.
    development: false,
  };
}

/**
 * The soft limit on open files (each socket is one). Bun raises it to the hard limit at start on
 * its own (seen in /proc/<pid>/limits: soft 1024 → 20000 when the hard limit is 20000), so this
 * only reports it; undefined where /proc is absent (macOS).
 */
export function openFilesLimit(limitsFile = '/proc/self/limits'): number | 'unlimited' | undefined {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return soft;
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}
