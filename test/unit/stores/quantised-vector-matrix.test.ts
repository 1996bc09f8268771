import { describe, expect, test } from 'bun:test';
import { compileVectorKernel } from '../../../scripts/build-vector-kernel.ts';
import { QuantisedVectorMatrix } from '../../../src/stores/quantised-vector-matrix.ts';
import { prng as random } from '../../support/prng.ts';

function unitVector(dims: number, rand: () => number): Float32Array {
  const v = Float32Array.from({ length: dims }, () => rand() * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

describe('QuantisedVectorMatrix', () => {
  test('runs the WebAssembly SIMD kernel under Bun', () => {
    expect(new QuantisedVectorMatrix(8).kernelName).toBe('wasm-simd');
  });

  test('the committed kernel bytes are those of vector-kernel.wat', async () => {
    expect(await compileVectorKernel()).toBe(await Bun.file('src/stores/vector-kernel-wasm.ts').text());
  });

  for (const dims of [37, 64, 1536]) {
    test(`the SIMD and JavaScript kernels rank alike, through sets, replacements and removals (${dims} dims)`, () => {
      const rand = random(dims);
      const simd = new QuantisedVectorMatrix(dims);
      const js = new QuantisedVectorMatrix(dims, 'js');
      const live = new Map<number, Float32Array>();
      // 150 rows: past the first capacity (64) and not a multiple of the kernel's four rows.
      for (let rowid = 1; rowid <= 150; rowid++) live.set(rowid, unitVector(dims, rand));
      for (const [rowid, v] of live) for (const m of [simd, js]) m.set(rowid, v, 'general');
      for (const rowid of [3, 150, 77, 12]) {
        live.delete(rowid);
        for (const m of [simd, js]) m.remove(rowid);
      }
      const replaced = unitVector(dims, rand);
      live.set(5, replaced);
      for (const m of [simd, js]) m.set(5, replaced, 'general');
      expect(simd.size).toBe(live.size);
      for (let i = 0; i < 10; i++) {
        const q = unitVector(dims, rand);
        const got = simd.nearest(q, 20);
        expect(got).toEqual(js.nearest(q, 20));
        expect(got).not.toContain(3);
        // The int8 ranking is close to the exact one: the exact best five are in its best twenty.
        const exact = [...live].sort((a, b) => dot(q, b[1]) - dot(q, a[1])).map(([rowid]) => rowid);
        for (const rowid of exact.slice(0, 5)) expect(got).toContain(rowid);
      }
      // The query of a replaced row finds it first.
      expect(simd.nearest(replaced, 1)).toEqual([5]);
    });
  }

  test('rows of collections not permitted never take a place', () => {
    const rand = random(7);
    const m = new QuantisedVectorMatrix(16);
    for (let rowid = 1; rowid <= 40; rowid++) m.set(rowid, unitVector(16, rand), rowid % 4 === 0 ? 'hr' : 'general');
    const q = unitVector(16, rand);
    const hr = m.nearest(q, 100, ['hr']);
    expect(hr.length).toBe(10);
    expect(hr.every((rowid) => rowid % 4 === 0)).toBe(true);
    expect(m.nearest(q, 100, ['general']).length).toBe(30);
    expect(m.nearest(q, 100, [])).toEqual([]);
    expect(m.nearest(q, 100, ['no-such-collection'])).toEqual([]);
    expect(m.nearest(q, 100).length).toBe(40);
  });

  test('an empty matrix and a zero vector answer without failing', () => {
    const m = new QuantisedVectorMatrix(16);
    expect(m.nearest(new Float32Array(16), 5)).toEqual([]);
    m.set(1, new Float32Array(16), 'general');
    expect(m.nearest(new Float32Array(16).fill(1), 5)).toEqual([1]);
    m.remove(1);
    m.remove(1);
    expect(m.size).toBe(0);
  });
});
