/** A passage as numbered in the prompt: `[n]` in an answer cites passage n. */
export interface PromptPassage {
  n: number;
  title: string;
  location: string;
  text: string;
}

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  /** The full prompt: system instructions, context, recent turns and the question. */
  messages: LlmMessage[];
  /** The same passages the prompt numbers, for backends that answer without a model. */
  passages: PromptPassage[];
  question: string;
  maxTokens: number;
}

/** Streams an answer. Every backend runs `test/contracts/llm-client.contract.ts`. */
export interface LlmClient {
  /** Shown with each answer and stored with the message. */
  readonly model: string;
  /** True for the built-in answerer that quotes passages instead of calling a model. */
  readonly offline: boolean;
  /**
   * Yields answer fragments as the provider sends them. Aborting `signal` cancels the upstream
   * request; failures throw `AppError` with code `unavailable:llm`.
   */
  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string>;
  ping(signal?: AbortSignal): Promise<void>;
}
