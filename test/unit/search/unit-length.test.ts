import { expect, test } from 'bun:test';
import { unitLength } from '../../../src/search/unit-length.ts';

const length = (v: Float32Array) => Math.hypot(...v);

test('a vector comes back of length 1, pointing the same way', () => {
  const v = unitLength(Float32Array.from([3, 4]));
  expect(length(v)).toBeCloseTo(1, 6);
  expect(v[0] as number).toBeCloseTo(0.6, 6);
  expect(v[1] as number).toBeCloseTo(0.8, 6);
});

test('a unit vector and the zero vector are returned as they are, without a copy', () => {
  const unit = Float32Array.from([1, 0, 0]);
  const zero = new Float32Array(3);
  expect(unitLength(unit)).toBe(unit);
  expect(unitLength(zero)).toBe(zero);
});
