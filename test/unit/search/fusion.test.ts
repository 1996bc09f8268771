import { expect, test } from 'bun:test';
import { reciprocalRankFusion } from '../../../src/search/fusion.ts';

test('documents ranked well by both lists come first; a top result in both scores 1', () => {
  const fused = reciprocalRankFusion([{ ids: ['a', 'b', 'c'] }, { ids: ['a', 'c', 'd'] }]);
  expect(fused[0]).toEqual({ id: 'a', score: 1 });
  expect(fused.map((f) => f.id)).toEqual(['a', 'c', 'b', 'd']);
});

test('weights shift the balance', () => {
  const fused = reciprocalRankFusion([
    { ids: ['k'], weight: 3 },
    { ids: ['v'], weight: 1 },
  ]);
  expect(fused.map((f) => f.id)).toEqual(['k', 'v']);
  expect(reciprocalRankFusion([])).toEqual([]);
});
