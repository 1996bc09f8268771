import { expect, test } from 'bun:test';
import { isAbortError } from '../../src/errors.ts';
import type { LlmClient, LlmRequest } from '../../src/providers/llm-client.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

export const CONTRACT_REQUEST: LlmRequest = {
  messages: [
    {
      role: 'system',
      content:
        'Answer from the context. Context passages:\n\n[1] Guide\nThe send button is disabled while an answer streams.',
    },
    { role: 'user', content: 'When is the send button disabled?' },
  ],
  passages: [{ n: 1, title: 'Guide', location: '', text: 'The send button is disabled while an answer streams.' }],
  question: 'When is the send button disabled?',
  maxTokens: 200,
};

/**
 * What every LlmClient must do. `slowClient` streams an answer of many fragments slowly enough to
 * be stopped midway.
 */
export function runLlmClientContract(
  name: string,
  backend: ContractBackend<{ client: LlmClient; slowClient: LlmClient }>,
) {
  const make = eachTest(backend);
  test(`${name}: streams the answer as several non-empty fragments`, async () => {
    const { client } = await make();
    const fragments: string[] = [];
    for await (const f of client.stream(CONTRACT_REQUEST, new AbortController().signal)) fragments.push(f);
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.every((f) => f.length > 0)).toBe(true);
    expect(fragments.join('')).toContain('[1]');
  });

  test(`${name}: aborting the signal ends the stream with an abort error, promptly`, async () => {
    const { slowClient } = await make();
    const controller = new AbortController();
    const fragments: string[] = [];
    let caught: unknown = null;
    const started = performance.now();
    try {
      for await (const f of slowClient.stream(CONTRACT_REQUEST, controller.signal)) {
        fragments.push(f);
        if (fragments.length === 2) controller.abort();
      }
    } catch (error) {
      caught = error;
    }
    expect(fragments.length).toBe(2);
    // Specifically an abort, so the caller stores "stopped", not "failed".
    expect(isAbortError(caught) || caught === controller.signal.reason).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test(`${name}: names its model`, async () => {
    const { client } = await make();
    expect(client.model.length).toBeGreaterThan(0);
    await client.ping();
  });
}
