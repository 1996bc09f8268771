import { afterAll, expect, test } from 'bun:test';
import { BedrockEmbeddingClient } from '../../../src/providers/bedrock-embedding-client.ts';
import { BedrockLlmClient } from '../../../src/providers/bedrock-llm-client.ts';
import { BedrockStandIn } from '../../support/bedrock-stand-in.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { runEmbeddingClientContract } from '../embedding-client.contract.ts';
import { runLlmClientContract } from '../llm-client.contract.ts';

/** The Bedrock backends through the real AWS SDK, against a stand-in speaking Bedrock's wire format. */
const standIn = new BedrockStandIn();
beforeSuite(() => {
  standIn.start();
});
afterAll(() => standIn.stop());

const connection = () => ({
  region: 'us-east-1',
  endpoint: standIn.url,
  credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
});

runLlmClientContract('BedrockLlmClient (stand-in over HTTP)', {
  make: async () => {
    standIn.setScript({ tokens: ['The send button', ' is disabled', ' while an answer streams', ' [1].'] });
    const options = {
      ...connection(),
      model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
      firstTokenMs: 10_000,
      silenceMs: 10_000,
    };
    const client = new BedrockLlmClient(options);
    // The slow client reads from the same server, so its script is set when it starts streaming.
    const slowClient = new BedrockLlmClient(options);
    const originalStream = slowClient.stream.bind(slowClient);
    slowClient.stream = (req, signal) => {
      standIn.setScript({ tokens: Array.from({ length: 100 }, (_, i) => ` word${i}`), delayMs: 30 });
      return originalStream(req, signal);
    };
    return { client, slowClient };
  },
});

runEmbeddingClientContract('BedrockEmbeddingClient, Titan v2 (stand-in over HTTP)', {
  make: async () => {
    standIn.setScript({ tokens: [] });
    return new BedrockEmbeddingClient({ ...connection(), model: 'amazon.titan-embed-text-v2:0', timeoutMs: 10_000 });
  },
});

runEmbeddingClientContract('BedrockEmbeddingClient, Cohere v3 (stand-in over HTTP)', {
  make: async () => {
    standIn.setScript({ tokens: [] });
    return new BedrockEmbeddingClient({ ...connection(), model: 'cohere.embed-english-v3', timeoutMs: 10_000 });
  },
});

test('the stand-in saw only requests Bedrock would accept', () => {
  expect(standIn.requests.length).toBeGreaterThan(0);
  expect(standIn.violations).toEqual([]);
});
