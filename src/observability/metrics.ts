import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds, from a cache-fast search to a minutes-long answer. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every series ragchat exports, in one registry per app (not prom-client's global one, so tests
 * and several apps in one process never share counts). Names follow Prometheus' conventions:
 * a `ragchat_` prefix, base units (seconds), `_total` on counters. Labels are closed sets
 * (route patterns, statuses, backend names, failure reasons), never ids or text, so the number
 * of series stays bounded whatever users send.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'ragchat_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'ragchat_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (to the response head; a stream goes on after it).',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });
  readonly answersStarted = new Counter({
    name: 'ragchat_answers_started_total',
    help: 'Answers started (questions accepted).',
    registers: [this.registry],
  });
  readonly answersFinished = new Counter({
    name: 'ragchat_answers_finished_total',
    help: 'Answers ended, by how: complete, stopped or failed.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: 'ragchat_answer_time_to_first_token_seconds',
    help: 'From the question accepted to the first answer fragment (retrieval, prompt and the provider).',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly answerDuration = new Histogram({
    name: 'ragchat_answer_duration_seconds',
    help: 'From the question accepted to the answer stored, by outcome.',
    labelNames: ['status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly tokensStreamed = new Counter({
    name: 'ragchat_answer_tokens_total',
    help: 'Answer tokens streamed to users (counted with the cl100k tokenizer when the answer ends).',
    registers: [this.registry],
  });
  readonly answersInProgress = new Gauge({
    name: 'ragchat_answers_in_progress',
    help: 'Answers being written by this instance now.',
    registers: [this.registry],
  });
  readonly retrievalDuration = new Histogram({
    name: 'ragchat_retrieval_duration_seconds',
    help: 'Retrieval of one question: embedding, hybrid search and reranking.',
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });
  readonly searchDuration = new Histogram({
    name: 'ragchat_search_duration_seconds',
    help: 'The hybrid search alone, by vector store backend.',
    labelNames: ['backend'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });
  readonly providerDuration = new Histogram({
    name: 'ragchat_provider_request_duration_seconds',
    help: 'Calls to model providers (a whole streamed answer for llm), by kind and provider.',
    labelNames: ['kind', 'provider'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly providerFirstToken = new Histogram({
    name: 'ragchat_provider_time_to_first_token_seconds',
    help: "From the request to the language model to its first fragment: the provider's own latency.",
    labelNames: ['provider'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly providerErrors = new Counter({
    name: 'ragchat_provider_errors_total',
    help: 'Failed calls to model providers, by kind, provider and reason (timeout, rate_limited, auth, ...).',
    labelNames: ['kind', 'provider', 'reason'] as const,
    registers: [this.registry],
  });
  readonly ingestedDocuments = new Counter({
    name: 'ragchat_ingest_documents_total',
    help: 'Documents ingested, by outcome: added, updated, unchanged, empty, failed, removed.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly ingestedChunks = new Counter({
    name: 'ragchat_ingest_chunks_total',
    help: 'Chunks written by ingestion, by the outcome of their document (added, updated).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'ragchat_rate_limited_total',
    help: 'Requests refused by a limit: chat, upload, login (per minute) or streams (answers at once).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  /** @param processMetrics also export the process's CPU, memory and event-loop series. */
  constructor(options: { processMetrics?: boolean } = {}) {
    // The event-loop delay histogram wakes the loop every `eventLoopMonitoringPrecision` ms: at
    // prom-client's 10 ms it was most of an idle server's CPU (5.5 ms/s against 1.0 without it on the
    // bench machine). At 1 s a stall still shows in its percentiles, and the scrape-time lag gauge
    // (a setImmediate round trip) stays exact.
    if (options.processMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: 'ragchat_', eventLoopMonitoringPrecision: 1000 });
  }

  /** The exposition, in the format its content type names. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
