import {
  type BedrockRuntimeClient,
  type ContentBlock,
  ConverseStreamCommand,
  type Message,
  type SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { untilAborted } from '../deadlines.ts';
import { type BedrockConnection, newBedrockClient, resolveCredentials } from './bedrock-client.ts';
import { bedrockError } from './bedrock-errors.ts';
import type { LlmClient, LlmMessage, LlmRequest } from './llm-client.ts';
import { SilenceWatchdog, type StreamBudgets } from './silence-watchdog.ts';

const STALLED = new Error('stalled');

/** Attempts of one call before its first token, throttling and 5xx included. */
const MAX_ATTEMPTS = 3;

export interface BedrockLlmOptions extends BedrockConnection, StreamBudgets {
  /** A Bedrock model id or inference-profile id, e.g. `us.anthropic.claude-3-5-haiku-20241022-v1:0`. */
  model: string;
}

/** Amazon Bedrock's ConverseStream API, through `@aws-sdk/client-bedrock-runtime`. */
export class BedrockLlmClient implements LlmClient {
  readonly model: string;
  readonly offline = false;
  private readonly client: BedrockRuntimeClient;
  private readonly budgets: StreamBudgets;

  constructor(options: BedrockLlmOptions) {
    this.model = options.model;
    this.budgets = { firstTokenMs: options.firstTokenMs, silenceMs: options.silenceMs };
    this.client = newBedrockClient(options, MAX_ATTEMPTS);
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    const watchdog = new SilenceWatchdog(this.budgets, signal);
    const { system, messages } = toConverse(request.messages);
    try {
      watchdog.start();
      // The SDK retries throttling and 5xx with backoff (standard mode, MAX_ATTEMPTS) while it
      // waits for the response, all within the first-token budget (the watchdog's signal ends it);
      // once the stream has begun, a failure is reported, not replayed.
      const response = await untilAborted(
        this.client.send(
          new ConverseStreamCommand({
            modelId: this.model,
            messages,
            system: system.length > 0 ? system : undefined,
            inferenceConfig: { maxTokens: request.maxTokens },
          }),
          { abortSignal: watchdog.signal },
        ),
        watchdog.signal,
      );
      for await (const event of response.stream ?? []) {
        // Exceptions inside the stream are thrown by the SDK; a member left in the union is one
        // this SDK version does not model as an error, so it is raised here under its own name.
        const fault =
          event.throttlingException ??
          event.modelStreamErrorException ??
          event.internalServerException ??
          event.validationException ??
          event.serviceUnavailableException;
        if (fault) throw fault;
        const text = event.contentBlockDelta?.delta?.text;
        if (text) {
          watchdog.heard();
          yield text;
        }
        if (watchdog.signal.aborted) break;
      }
      if (watchdog.stalled) throw STALLED;
      // A stop can end the stream quietly; say it was aborted, as the contract requires, so a
      // stopped answer is never mistaken for a complete one.
      signal.throwIfAborted();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (watchdog.stalled) throw watchdog.error('The language model (Amazon Bedrock)', error);
      throw bedrockError('llm', error);
    } finally {
      watchdog.stop();
    }
  }

  /**
   * Bedrock Runtime has no free call to probe (no model list; a Converse spends tokens, and
   * readiness must not). So readiness proves what can be proved for free: the client is configured
   * and the credential chain yields credentials. A wrong model or a missing permission shows at
   * the first question, as a clear error.
   */
  async ping(signal?: AbortSignal): Promise<void> {
    await resolveCredentials(this.client, 'llm', signal);
  }
}

/**
 * Converse takes system instructions apart, and a conversation that starts with a user turn and
 * alternates (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html);
 * blank text blocks are refused. So turns with no text are dropped, consecutive turns of one role
 * are merged, and assistant turns before the first user turn (history cut by the budget) go.
 */
export function toConverse(input: LlmMessage[]): { system: SystemContentBlock[]; messages: Message[] } {
  const system: SystemContentBlock[] = [];
  const messages: Message[] = [];
  for (const m of input) {
    if (m.content.trim() === '') continue;
    if (m.role === 'system') {
      system.push({ text: m.content });
      continue;
    }
    const last = messages.at(-1);
    if (last?.role === m.role) (last.content as ContentBlock[]).push({ text: m.content });
    else if (last || m.role === 'user') messages.push({ role: m.role, content: [{ text: m.content }] });
  }
  return { system, messages };
}
