import type { EmbeddingClient } from './embedding-client.ts';

interface Pending {
  texts: string[];
  signal?: AbortSignal;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent `embed` calls into shared requests (up to `maxBatch` texts each, at most
 * `maxInFlight` requests at a time). Ingestion embeds many small documents at once; one request
 * per document would make a remote embedder's latency the bottleneck.
 */
export class BatchingEmbeddingClient implements EmbeddingClient {
  private queue: Pending[] = [];
  /** Texts in `queue`, kept as it changes: summing the queue on every call is quadratic in a burst. */
  private queuedTexts = 0;
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly inner: EmbeddingClient,
    private readonly options: {
      maxBatch: number;
      maxInFlight: number;
      /** How long a lone call waits for company; 0 groups only the calls made in the same turn of the event loop. @default 10 */
      lingerMs?: number;
    },
  ) {}

  get model(): string {
    return this.inner.model;
  }

  dimensions(signal?: AbortSignal): Promise<number> {
    return this.inner.dimensions(signal);
  }

  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ texts, signal, resolve, reject });
      this.queuedTexts += texts.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.queuedTexts >= this.options.maxBatch) {
      this.drain();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // Wait a moment for more callers (Kafka's linger.ms): a few milliseconds against a provider's
    // tens, so that documents ingested together share requests. With no linger, setImmediate runs
    // once the requests that arrived in this turn of the event loop have all made their calls.
    const go = () => {
      this.scheduled = false;
      this.drain();
    };
    const linger = this.options.lingerMs ?? 10;
    if (linger === 0) setImmediate(go);
    else setTimeout(go, linger);
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0] as Pending;
        if (batch.length > 0 && size + next.texts.length > this.options.maxBatch) break;
        batch.push(this.queue.shift() as Pending);
        size += next.texts.length;
        this.queuedTexts -= next.texts.length;
      }
      void this.send(batch);
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    this.inFlight++;
    const live = batch.filter((p) => !p.signal?.aborted);
    for (const p of batch) if (p.signal?.aborted) p.reject(p.signal.reason);
    try {
      if (live.length > 0) {
        const texts = live.flatMap((p) => p.texts);
        const shared = sharedSignal(live);
        const vectors = await this.inner.embed(texts, shared.signal).finally(shared.release);
        // Never hand a caller someone else's vectors.
        if (vectors.length !== texts.length) {
          throw new Error(`The embedding service returned ${vectors.length} vectors for ${texts.length} texts.`);
        }
        let offset = 0;
        for (const p of live) {
          p.resolve(vectors.slice(offset, offset + p.texts.length));
          offset += p.texts.length;
        }
      }
    } catch (error) {
      if (live.length === 1) (live[0] as Pending).reject(error);
      else {
        // A shared request failed: retry each caller alone, so one document the provider refuses
        // (too long, say) fails only itself and the others go in.
        // One at a time: the provider may be refusing because it is overloaded.
        for (const p of live) {
          await this.inner.embed(p.texts, p.signal).then(p.resolve, (own) => p.reject(own));
        }
      }
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.drain();
    }
  }
}

/**
 * A signal for a request shared by `callers`: it aborts once every one of them has (with the last
 * one's reason, so a lone question's deadline still ends its request and is counted as its
 * timeout), and never while one still waits. A caller that gives up is let go at once.
 */
function sharedSignal(callers: Pending[]): { signal?: AbortSignal; release: () => void } {
  if (callers.some((p) => !p.signal)) return { release: () => {} };
  const shared = new AbortController();
  let waiting = callers.length;
  const listeners = callers.map((p) => {
    const signal = p.signal as AbortSignal;
    const onAbort = () => {
      p.reject(signal.reason);
      if (--waiting === 0) shared.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  });
  // Callers' signals may outlive the request (a shutdown signal): no listener is left on them.
  return {
    signal: shared.signal,
    release: () => {
      for (const remove of listeners) remove();
    },
  };
}
