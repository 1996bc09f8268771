import { afterAll } from 'bun:test';
import { LocalEmbeddingClient } from '../../../src/providers/local-embedding-client.ts';
import { OfflineLlmClient } from '../../../src/providers/offline-llm-client.ts';
import { OpenAiEmbeddingClient } from '../../../src/providers/openai-embedding-client.ts';
import { OpenAiLlmClient } from '../../../src/providers/openai-llm-client.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';
import { runEmbeddingClientContract } from '../embedding-client.contract.ts';
import { runLlmClientContract } from '../llm-client.contract.ts';

const standIn = new OpenAiStandIn();
beforeSuite(() => {
  standIn.start();
});
afterAll(() => standIn.stop());

runLlmClientContract('OfflineLlmClient', {
  make: async () => ({
    client: new OfflineLlmClient({ wordDelayMs: 0 }),
    slowClient: new OfflineLlmClient({ wordDelayMs: 30 }),
  }),
});

runLlmClientContract('OpenAiLlmClient (stand-in over HTTP)', {
  make: async () => {
    standIn.script = { tokens: ['The send button', ' is disabled', ' while an answer streams', ' [1].'], delayMs: 0 };
    const options = {
      baseURL: standIn.url,
      apiKey: 'test-key',
      model: 'stand-in-model',
      firstTokenMs: 10_000,
      silenceMs: 10_000,
    };
    const client = new OpenAiLlmClient(options);
    // The slow client reads from the same server, so its script is set when it starts streaming.
    const slowClient = new OpenAiLlmClient(options);
    const originalStream = slowClient.stream.bind(slowClient);
    slowClient.stream = (req, signal) => {
      standIn.script = { tokens: Array.from({ length: 100 }, (_, i) => ` word${i}`), delayMs: 30 };
      return originalStream(req, signal);
    };
    return { client, slowClient };
  },
});

runEmbeddingClientContract('LocalEmbeddingClient', { make: async () => new LocalEmbeddingClient() });
runEmbeddingClientContract('OpenAiEmbeddingClient (stand-in over HTTP)', {
  make: async () => {
    standIn.script = { tokens: [] };
    return new OpenAiEmbeddingClient({
      baseURL: standIn.url,
      model: 'stand-in-embed',
      timeoutMs: 10_000,
      batchSize: 128,
    });
  },
});
