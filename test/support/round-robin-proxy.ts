/**
 * A load balancer with no stickiness, as the prod ALB is configured: each request goes to the next
 * upstream in turn (or where `route` says, for a test that needs a request to land on a given
 * instance), and its response, streams included, is passed through as it comes. Every response
 * says which upstream served it (`x-served-by`, its index), and `served` keeps the same record.
 */
export class RoundRobinProxy {
  private server: ReturnType<typeof Bun.serve> | null = null;
  private next = 0;
  /** Method, path and upstream index of every request, in order. */
  readonly served: { method: string; path: string; upstream: number }[] = [];
  /** Picks the upstream for a request; undefined for the next in turn. */
  route: (request: Request, path: string) => number | undefined = () => undefined;

  constructor(readonly upstreams: string[]) {}

  get url(): string {
    return `http://127.0.0.1:${this.server?.port}`;
  }

  start(): this {
    this.server = Bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 0, fetch: (req) => this.forward(req) });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
  }

  private async forward(request: Request): Promise<Response> {
    const url = new URL(request.url);
    let index = this.route(request, url.pathname);
    if (index === undefined) {
      index = this.next % this.upstreams.length;
      this.next++;
    }
    this.served.push({ method: request.method, path: url.pathname, upstream: index });
    const headers = new Headers(request.headers);
    // As a load balancer does: the client's address and scheme travel in X-Forwarded-*.
    headers.set('x-forwarded-for', '127.0.0.1');
    try {
      const upstream = await fetch(`${this.upstreams[index]}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer(),
        redirect: 'manual',
        signal: request.signal,
        // Bun's fetch option: hand over the bytes as they were sent.
        decompress: false,
      });
      const out = new Headers(upstream.headers);
      out.set('x-served-by', String(index));
      return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
    } catch {
      // The instance is gone (a test killed it): what a load balancer answers then.
      return new Response('Bad gateway\n', { status: 502, headers: { 'x-served-by': String(index) } });
    }
  }
}
