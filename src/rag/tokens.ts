import type * as Cl100k from 'gpt-tokenizer/encoding/cl100k_base';

/**
 * Token counting for chunk sizes and the prompt budget. cl100k_base is the tokenizer of the
 * OpenAI models of its generation and within a few percent of others' on English prose, which is
 * close enough for budgets that keep a margin.
 *
 * Its tables (100k entries) take about 150 ms and 40 MB to build, so they are built at the first
 * count, not at start: a server that restarts over an index it already has answers its probes
 * first. `require`, not `import()`: counting is synchronous, and Bun loads (and bundles) an ES
 * module either way.
 */
let cl100k: typeof Cl100k | undefined;
function tokenizer(): typeof Cl100k {
  cl100k ??= require('gpt-tokenizer/encoding/cl100k_base') as typeof Cl100k;
  return cl100k;
}

export function countTokens(text: string): number {
  return tokenizer().encode(text).length;
}

/** The first `max` tokens of `text`, cut back to the last whole word. */
export function truncateToTokens(text: string, max: number): string {
  const { encode, decode } = tokenizer();
  const ids = encode(text);
  if (ids.length <= max) return text;
  const cut = decode(ids.slice(0, max));
  const lastSpace = cut.lastIndexOf(' ');
  return lastSpace > cut.length / 2 ? cut.slice(0, lastSpace) : cut;
}
