import type { Socket, TCPSocketListener } from 'bun';

interface Pair {
  client: Socket<Pair>;
  upstream: Socket<Pair> | null;
  /** What the client sent before the upstream connection was open. */
  pending: Uint8Array[];
}

/**
 * A TCP relay in front of a real server (Postgres), which a test can cut as a network partition
 * or a failover does: every open connection is dropped and new ones are refused until `resume`.
 * (Small, test-sized traffic: writes are not paced by backpressure.)
 */
export class TcpProxy {
  private listener: TCPSocketListener<Pair> | null = null;
  private readonly pairs = new Set<Pair>();
  private cutOff = false;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  start(): this {
    const { targetHost, targetPort } = this;
    this.listener = Bun.listen<Pair>({
      hostname: '127.0.0.1',
      port: 0,
      socket: {
        open: (client) => {
          if (this.cutOff) {
            client.terminate();
            return;
          }
          const pair: Pair = { client, upstream: null, pending: [] };
          client.data = pair;
          this.pairs.add(pair);
          void Bun.connect<Pair>({
            hostname: targetHost,
            port: targetPort,
            data: pair,
            socket: {
              open: (upstream) => {
                pair.upstream = upstream;
                for (const chunk of pair.pending) upstream.write(chunk);
                pair.pending = [];
              },
              data: (_, chunk) => void pair.client.write(chunk),
              close: () => this.drop(pair),
              error: () => this.drop(pair),
            },
          }).catch(() => this.drop(pair));
        },
        data: (client, chunk) => {
          const pair = client.data;
          if (pair.upstream) pair.upstream.write(chunk);
          else pair.pending.push(new Uint8Array(chunk));
        },
        close: (client) => client.data && this.drop(client.data),
        error: (client) => client.data && this.drop(client.data),
      },
    });
    return this;
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.terminate();
    pair.upstream?.terminate();
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  cut(): void {
    this.cutOff = true;
    for (const pair of [...this.pairs]) this.drop(pair);
  }

  resume(): void {
    this.cutOff = false;
  }

  async stop(): Promise<void> {
    this.cut();
    this.listener?.stop(true);
  }
}
