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
  const { encode } = tokenizer();
  let count = 0;
  for (const segment of segments(text)) count += encode(segment).length;
  return count;
}

/** The first `max` tokens of `text`, cut back to the last whole word. */
export function truncateToTokens(text: string, max: number): string {
  const { encode, decode } = tokenizer();
  // Only a prefix that surely holds `max` tokens is encoded, so cutting a long text into pieces
  // costs its length once, not once per piece.
  for (let window = Math.max(256, max * 8); ; window *= 2) {
    const whole = window >= text.length;
    const prefix = whole ? text : text.slice(0, cutPoint(text, window));
    const ids = segments(prefix).flatMap((s) => encode(s));
    if (whole && ids.length <= max) return text;
    if (whole || ids.length > max + 1) {
      const cut = decode(ids.slice(0, max));
      const lastSpace = cut.lastIndexOf(' ');
      return lastSpace > cut.length / 2 ? cut.slice(0, lastSpace) : cut;
    }
  }
}

/**
 * The tokenizer's byte-pair merging is quadratic in the length of one run of letters, spaces or
 * punctuation (20,000 dots take 0.2 s, a megabyte minutes), so text is encoded in segments of at
 * most SEGMENT_CHARS. A segment ends before a space between two other characters, where the
 * tokenizer starts a new piece anyway, so ordinary text counts the same; only a run longer than
 * a segment is cut inside, and counts a token or so more per cut.
 */
const SEGMENT_CHARS = 200;

function segments(text: string): string[] {
  if (text.length <= SEGMENT_CHARS) return [text];
  const out: string[] = [];
  let start = 0;
  let boundary = -1;
  for (let i = 1; i < text.length; i++) {
    if (text[i] === ' ' && text[i - 1] !== ' ' && text[i + 1] !== ' ' && i + 1 < text.length) boundary = i;
    if (i - start >= SEGMENT_CHARS) {
      const cut = boundary > start ? boundary : cutPoint(text, i);
      out.push(text.slice(start, cut));
      start = cut;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** `at`, or one before it so as not to split a surrogate pair. */
function cutPoint(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}
