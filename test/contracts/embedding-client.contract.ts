import { expect, test } from 'bun:test';
import type { EmbeddingClient } from '../../src/providers/embedding-client.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

/** What every EmbeddingClient must do. */
export function runEmbeddingClientContract(name: string, backend: ContractBackend<EmbeddingClient>) {
  const make = eachTest(backend);
  test(`${name}: one unit-length vector per text, in order, of the announced dimension`, async () => {
    const client = await make();
    const texts = ['How do I stop an answer?', 'Deploying to AWS with Pulumi', 'Stop the answer being written'];
    const vectors = await client.embed(texts);
    const dims = await client.dimensions();
    expect(vectors.length).toBe(3);
    for (const v of vectors) {
      expect(v.length).toBe(dims);
      expect(Math.abs(Math.sqrt(dot(v, v)) - 1)).toBeLessThan(1e-4);
    }
    // Order: the two texts about stopping are closer to each other than to the deployment one.
    const [a, b, c] = vectors as [Float32Array, Float32Array, Float32Array];
    expect(dot(a, c)).toBeGreaterThan(dot(a, b));
  });

  test(`${name}: the same text always gives the same vector`, async () => {
    const client = await make();
    const [x] = await client.embed(['streaming answers']);
    const [y] = await client.embed(['streaming answers']);
    expect(Array.from(x as Float32Array)).toEqual(Array.from(y as Float32Array));
  });

  test(`${name}: embeds a large batch`, async () => {
    const client = await make();
    const texts = Array.from({ length: 300 }, (_, i) => `document number ${i} about topic ${i % 7}`);
    const vectors = await client.embed(texts);
    expect(vectors.length).toBe(300);
    const [first] = await client.embed([texts[299] as string]);
    expect(Array.from(vectors[299] as Float32Array)).toEqual(Array.from(first as Float32Array));
  });
}
