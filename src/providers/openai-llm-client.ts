import OpenAI from 'openai';
import type { LlmClient, LlmRequest } from './llm-client.ts';
import { providerError } from './openai-errors.ts';

export interface OpenAiLlmOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
}

/** Any OpenAI-compatible `/v1/chat/completions` endpoint, streamed. */
export class OpenAiLlmClient implements LlmClient {
  readonly model: string;
  readonly offline = false;
  private readonly client: OpenAI;

  constructor(options: OpenAiLlmOptions) {
    this.model = options.model;
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      // Retries happen before the first token only; a stream cut midway is reported, not replayed.
      maxRetries: 2,
    });
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    try {
      const stream = await this.client.chat.completions.create(
        { model: this.model, messages: request.messages, stream: true, max_tokens: request.maxTokens },
        { signal },
      );
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content;
        if (text) yield text;
      }
      // The SDK ends an aborted stream quietly; say it was aborted, as the contract requires, so a
      // stopped answer is never mistaken for a complete one.
      signal.throwIfAborted();
    } catch (error) {
      throw providerError('llm', error);
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
