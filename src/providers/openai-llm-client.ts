import OpenAI from 'openai';
import { untilAborted } from '../deadlines.ts';
import { chatCompletionDeltas } from './chat-completion-deltas.ts';
import type { LlmClient, LlmRequest } from './llm-client.ts';
import { providerError } from './openai-errors.ts';
import { SilenceWatchdog, type StreamBudgets } from './silence-watchdog.ts';

const STALLED = new Error('stalled');

/** Attempts of one call before its first token (the SDK retries connection errors, 408, 429, 5xx). */
const MAX_RETRIES = 2;

export interface OpenAiLlmOptions extends StreamBudgets {
  apiKey?: string;
  baseURL?: string;
  model: string;
}

/** Any OpenAI-compatible `/v1/chat/completions` endpoint, streamed. */
export class OpenAiLlmClient implements LlmClient {
  readonly model: string;
  readonly offline = false;
  private readonly client: OpenAI;
  private readonly budgets: StreamBudgets;

  constructor(options: OpenAiLlmOptions) {
    this.model = options.model;
    this.budgets = { firstTokenMs: options.firstTokenMs, silenceMs: options.silenceMs };
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseURL,
      // Per attempt. The attempts share the first-token budget: the watchdog's signal ends the
      // call, retries and their backoff included, when it runs out, so they never multiply it.
      timeout: options.firstTokenMs,
      // Retries happen before the first token only; a stream cut midway is reported, not replayed.
      maxRetries: MAX_RETRIES,
    });
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    const watchdog = new SilenceWatchdog(this.budgets, signal);
    try {
      watchdog.start();
      // The package sends the request (retries and HTTP errors included); its body is read here.
      const response = await untilAborted(
        this.client.chat.completions
          .create(
            { model: this.model, messages: request.messages, stream: true, max_tokens: request.maxTokens },
            { signal: watchdog.signal },
          )
          .asResponse(),
        watchdog.signal,
      );
      for await (const text of chatCompletionDeltas(response)) {
        watchdog.heard();
        yield text;
      }
      if (watchdog.stalled) throw STALLED;
      // The SDK ends an aborted stream quietly; say it was aborted, as the contract requires, so a
      // stopped answer is never mistaken for a complete one.
      signal.throwIfAborted();
    } catch (error) {
      if (watchdog.stalled) throw watchdog.error('The language model', error);
      throw providerError('llm', error);
    } finally {
      watchdog.stop();
    }
  }

  async ping(signal?: AbortSignal): Promise<void> {
    try {
      await this.client.models.list({ signal, timeout: 5000, maxRetries: 0 });
    } catch (error) {
      throw providerError('llm', error);
    }
  }
}
