import { decode, encode } from 'gpt-tokenizer/encoding/cl100k_base';

/**
 * Token counting for chunk sizes and the prompt budget. cl100k_base is the tokenizer of the
 * OpenAI models of its generation and within a few percent of others' on English prose, which is
 * close enough for budgets that keep a margin.
 */
export function countTokens(text: string): number {
  return encode(text).length;
}

/** The first `max` tokens of `text`, cut back to the last whole word. */
export function truncateToTokens(text: string, max: number): string {
  const ids = encode(text);
  if (ids.length <= max) return text;
  const cut = decode(ids.slice(0, max));
  const lastSpace = cut.lastIndexOf(' ');
  return lastSpace > cut.length / 2 ? cut.slice(0, lastSpace) : cut;
}
