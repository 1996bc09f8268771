import type { Config } from '../config.ts';
import type { EmbeddingClient } from '../providers/embedding-client.ts';
import type { LlmClient } from '../providers/llm-client.ts';
import { LocalEmbeddingClient } from '../providers/local-embedding-client.ts';
import { OfflineLlmClient } from '../providers/offline-llm-client.ts';

/*
 * Backends other than the embedded ones (SQLite, the disk, the offline answerer, the local embedder)
 * are imported when the config picks them: their SDKs (AWS, OpenAI, postgres.js, Qdrant) would
 * otherwise be loaded, and held in memory, by every server, the one binary started alone included.
 */

/** Keys for the Bedrock backends; absent, the SDK's default chain (environment, profile, task role). */
export type BedrockCredentials = { accessKeyId: string; secretAccessKey: string } | undefined;

/** The answerer the config names: Bedrock, an OpenAI-compatible server, or the offline one. */
export async function llmFor(config: Config, credentials: BedrockCredentials): Promise<LlmClient> {
  const budgets = { firstTokenMs: config.timeouts.firstTokenMs, silenceMs: config.timeouts.silenceMs };
  if (config.llm?.provider === 'bedrock') {
    const { BedrockLlmClient } = await import('../providers/bedrock-llm-client.ts');
    return new BedrockLlmClient({ ...config.llm, ...budgets, credentials });
  }
  if (config.llm?.provider === 'openai') {
    const { OpenAiLlmClient } = await import('../providers/openai-llm-client.ts');
    return new OpenAiLlmClient({ ...config.llm, ...budgets });
  }
  return new OfflineLlmClient();
}

/**
 * A request's own budget is ingestion's (a batch of texts); a question is embedded under the
 * retriever's shorter one, which it passes down as a signal.
 */
export async function embedderFor(config: Config, credentials: BedrockCredentials): Promise<EmbeddingClient> {
  const timeoutMs = config.timeouts.ingestEmbeddingMs;
  if (config.embeddings?.provider === 'bedrock') {
    const { BedrockEmbeddingClient } = await import('../providers/bedrock-embedding-client.ts');
    return new BedrockEmbeddingClient({ ...config.embeddings, timeoutMs, credentials });
  }
  if (config.embeddings?.provider === 'openai') {
    const { OpenAiEmbeddingClient } = await import('../providers/openai-embedding-client.ts');
    return new OpenAiEmbeddingClient({ ...config.embeddings, timeoutMs });
  }
  return new LocalEmbeddingClient();
}
