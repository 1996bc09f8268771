/** Structured JSON logs, one line each. Callers pass facts, never secrets or document text. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => console.log(l)): Logger {
  const log = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: at, message, ...serialise(fields) }));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}

/** Errors become their name, message, code and cause chain; JSON.stringify would drop them. */
function serialise(fields?: Record<string, unknown>): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? describeError(v) : v;
  return out;
}

function describeError(e: Error, depth = 0): Record<string, unknown> {
  const d: Record<string, unknown> = { name: e.name, message: e.message };
  if ('code' in e) d.code = (e as { code: unknown }).code;
  if (e.cause instanceof Error && depth < 3) d.cause = describeError(e.cause, depth + 1);
  return d;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The same logger with `fields()` added to every line (the active trace and span ids), so the
 * lines of one request can be found from its trace and the other way round.
 */
export function withFields(logger: Logger, fields: () => Record<string, unknown>): Logger {
  const add = (f?: Record<string, unknown>) => ({ ...fields(), ...f });
  return {
    debug: (m, f) => logger.debug(m, add(f)),
    info: (m, f) => logger.info(m, add(f)),
    warn: (m, f) => logger.warn(m, add(f)),
    error: (m, f) => logger.error(m, add(f)),
  };
}
