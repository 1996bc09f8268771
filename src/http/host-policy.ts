import { isIP } from 'node:net';

/**
 * Which names this server answers to (`ALLOWED_HOSTS`). A page on `rebind.attacker.example`
 * whose DNS answer flips to 127.0.0.1 reaches a laptop's server with its own name as `Host` and
 * a matching `Origin`, so the same-origin checks alone cannot tell it apart: the name is what
 * gives it away. An address written as an IP literal is always accepted, because rebinding needs
 * a name the attacker controls (and load balancers' health checks address the task by its IP).
 */
export class HostPolicy {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(readonly names: readonly string[]) {
    for (const raw of names) {
      const name = normalise(raw);
      if (name.startsWith('*.')) this.suffixes.push(name.slice(1));
      else this.exact.add(name);
    }
  }

  /** True for an allowed `Host` value (name or `name:port`); false for anything else. */
  allows(host: string | null | undefined): boolean {
    const name = hostnameOf(host);
    return name !== null && this.allowsName(name);
  }

  /** The same for a host name already read by `hostnameOf`. */
  allowsName(name: string): boolean {
    if (isIpLiteral(name)) return true;
    return this.exact.has(name) || this.suffixes.some((suffix) => name.endsWith(suffix));
  }
}

/** The names a server on a laptop answers to without any setting. */
export const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The allowed names: the loopback ones and the bound host, then those of `PUBLIC_URL` and `ALLOWED_HOSTS`. */
export function allowedHosts(options: { bind: string; publicUrl?: string; extra: readonly string[] }): string[] {
  const names = new Set(LOOPBACK_NAMES);
  if (options.bind !== '0.0.0.0' && options.bind !== '::') names.add(normalise(options.bind));
  if (options.publicUrl) names.add(normalise(new URL(options.publicUrl).hostname));
  for (const name of options.extra) names.add(normalise(name));
  return [...names];
}

/** Checks one `ALLOWED_HOSTS` entry: a host name, `*.` and a domain, or an IP literal. */
export function validHostEntry(entry: string): boolean {
  const name = normalise(entry);
  if (isIpLiteral(name)) return true;
  const bare = name.startsWith('*.') ? name.slice(2) : name;
  return bare.length > 0 && bare.length <= 253 && bare.split('.').every((label) => /^[a-z0-9_-]{1,63}$/.test(label));
}

/** An IPv4 address or a bracketed IPv6 one (`[::1]`), as a Host header writes them. */
function isIpLiteral(name: string): boolean {
  return isIP(name.startsWith('[') ? name.slice(1, -1) : name) !== 0;
}

function normalise(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * The host name of a `Host` header (`name`, `name:port`, `[v6]:port`), lower-cased without a
 * trailing dot; null when it is not a well-formed host.
 */
export function hostnameOf(host: string | null | undefined): string | null {
  if (!host || host.length > 260) return null;
  let name = host;
  let port = '';
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return null;
    name = host.slice(0, end + 1);
    port = host.slice(end + 1);
    if (port && !port.startsWith(':')) return null;
    port = port.slice(1);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
  }
  if (port !== '' && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) return null;
  const lower = normalise(name);
  if (lower.startsWith('[')) return isIP(lower.slice(1, -1)) === 6 ? lower : null;
  return lower.length > 0 && /^[a-z0-9._-]+$/.test(lower) ? lower : null;
}
