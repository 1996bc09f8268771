/**
 * The embedding models whose request bodies the Bedrock client knows, and their vector lengths.
 * Apart from the client so that the configuration can check a model name without loading the AWS SDK.
 */
export const BEDROCK_EMBEDDING_MODELS = {
  'amazon.titan-embed-text-v2:0': { family: 'titan', dimensions: [256, 512, 1024] },
  'cohere.embed-english-v3': { family: 'cohere', dimensions: [1024] },
  'cohere.embed-multilingual-v3': { family: 'cohere', dimensions: [1024] },
} as const;

export type BedrockEmbeddingModel = keyof typeof BEDROCK_EMBEDDING_MODELS;
