import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { bedrockError } from './bedrock-errors.ts';

/** Where and as whom to call Bedrock Runtime; shared by the LLM and embedding backends. */
export interface BedrockConnection {
  /** Otherwise the SDK's chain (AWS_REGION, the profile's region, ...). */
  region?: string;
  /** A VPC endpoint, or a test stand-in. */
  endpoint?: string;
  /** Tests pass keys; otherwise the SDK's default chain (environment, profile, ECS task role, ...). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** A client shared by the LLM and embedding backends: SigV4 for `bedrock`, HTTP/1.1, bounded retries. */
export function newBedrockClient(options: BedrockConnection, maxAttempts: number): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    maxAttempts,
    retryMode: 'standard',
    // The SDK's default for bedrock-runtime is HTTP/2 (for its bidirectional stream API, unused
    // here). ConverseStream and InvokeModel are served over HTTP/1.1 as well, which also works
    // through proxies and stand-ins that speak no HTTP/2 (the handler comes with the SDK).
    requestHandler: new NodeHttpHandler(),
  });
}

/** Resolves the credential chain (and region), bounded by `signal`, translating failures. */
export async function resolveCredentials(
  client: BedrockRuntimeClient,
  backend: 'llm' | 'embeddings',
  signal?: AbortSignal,
): Promise<void> {
  try {
    const resolve = Promise.all([client.config.credentials(), client.config.region()]);
    if (!signal) await resolve;
    else
      await Promise.race([
        resolve,
        new Promise((_, reject) => {
          signal.throwIfAborted();
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);
  } catch (error) {
    throw bedrockError(backend, error);
  }
}
