import proxyaddr from 'proxy-addr';

/**
 * Which proxies in front of the server may speak for the client (`TRUST_PROXY`): none, a number
 * of hops (the ALB is one), or the proxies' addresses and CIDR ranges. Only what a trusted proxy
 * wrote is believed: the client address in `X-Forwarded-For`, the scheme in `X-Forwarded-Proto`.
 */
export type ProxyTrust = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'ranges'; ranges: string[] };

export const NO_PROXY: ProxyTrust = { kind: 'none' };

/**
 * Parses `TRUST_PROXY`: `false`/`0` (default), `true` (one hop, kept for the setting's earlier
 * meaning), a hop count, or a comma-separated list of addresses and CIDRs (`10.0.0.0/16`) and
 * proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`). Throws a sentence when it is none.
 */
export function parseProxyTrust(value: string): ProxyTrust {
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'false' || text === 'no' || text === '0') return NO_PROXY;
  if (text === 'true' || text === 'yes') return { kind: 'hops', hops: 1 };
  if (/^\d{1,3}$/.test(text)) {
    const hops = Number(text);
    if (hops > 20) throw new Error('a hop count of 20 at most');
    return { kind: 'hops', hops };
  }
  const ranges = text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(ranges);
  } catch (error) {
    throw new Error(
      `false, a hop count (1 behind an ALB), or proxy addresses/CIDRs like 10.0.0.0/16 (${(error as Error).message})`,
    );
  }
  return { kind: 'ranges', ranges };
}

/** A compiled view of the trust, made once: the per-request work is a walk over a short header. */
export class Forwarding {
  private readonly trusts: (address: string, hop: number) => boolean;

  constructor(readonly trust: ProxyTrust) {
    if (trust.kind === 'none') this.trusts = () => false;
    else if (trust.kind === 'hops') this.trusts = (_address, hop) => hop < trust.hops;
    else this.trusts = proxyaddr.compile(trust.ranges);
  }

  get enabled(): boolean {
    return this.trust.kind !== 'none';
  }

  /**
   * The client's address: walking from the socket back through `X-Forwarded-For`, the first
   * address not vouched for by a trusted proxy. A client talking to the server directly (not
   * through a trusted range) cannot choose its address by sending the header itself.
   */
  clientAddress(request: Request, socketAddress: string): string {
    if (this.trust.kind === 'none') return socketAddress;
    return proxyaddr(
      {
        headers: { 'x-forwarded-for': request.headers.get('x-forwarded-for') ?? undefined },
        connection: { remoteAddress: socketAddress },
      } as never,
      this.trusts,
    );
  }

  /**
   * Served over HTTPS, directly or as a trusted proxy says. The one answer for HSTS and for the
   * session cookie's `Secure` flag: a client's own `X-Forwarded-Proto` counts only behind a proxy.
   */
  isHttps(request: Request, socketAddress: string | undefined): boolean {
    if (request.url.startsWith('https:')) return true;
    if (this.trust.kind === 'none') return false;
    // With ranges, the header counts only when the socket is a trusted proxy.
    if (this.trust.kind === 'ranges' && (!socketAddress || !this.trusts(socketAddress, 0))) return false;
    const proto = request.headers.get('x-forwarded-proto');
    // A chain of proxies appends; the nearest one wrote the last entry.
    return proto?.split(',').at(-1)?.trim().toLowerCase() === 'https';
  }
}
