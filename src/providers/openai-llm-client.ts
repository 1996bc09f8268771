import OpenAI from 'openai';
import { unavailable } from '../errors.ts';
import type { LlmClient, LlmRequest } from './llm-client.ts';
import { providerError } from './openai-errors.ts';
import { SilenceWatchdog } from './silence-watchdog.ts';

const STALLED = new Error('stalled');

export interface OpenAiLlmOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  /** Longest wait for the provider: for its first answer, and between two fragments of a stream. */
  timeoutMs: number;
}

/** Any OpenAI-compatible `/v1/chat/completions` endpoint, streamed. */
export class OpenAiLlmClient implements LlmClient {
  readonly model: string;
  readonly offline = false;
  private readonly client: OpenAI;
  private readonly timeoutMs: number;

  constructor(options: OpenAiLlmOptions) {
    this.model = options.model;
    this.timeoutMs = options.timeoutMs;
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      // Retries happen before the first token only; a stream cut midway is reported, not replayed.
      maxRetries: 2,
    });
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    const watchdog = new SilenceWatchdog(this.timeoutMs, signal);
    try {
      watchdog.rearm();
      const stream = await this.client.chat.completions.create(
        { model: this.model, messages: request.messages, stream: true, max_tokens: request.maxTokens },
        { signal: watchdog.signal },
      );
      for await (const chunk of stream) {
        watchdog.rearm();
        const text = chunk.choices[0]?.delta?.content;
        if (text) yield text;
      }
      if (watchdog.stalled) throw STALLED;
      // The SDK ends an aborted stream quietly; say it was aborted, as the contract requires, so a
      // stopped answer is never mistaken for a complete one.
      signal.throwIfAborted();
    } catch (error) {
      if (watchdog.stalled)
        throw unavailable(
          'llm',
          'The language model stopped responding in the middle of the answer.',
          error,
          'stalled',
        );
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
