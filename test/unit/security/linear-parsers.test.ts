import { expect, test } from 'bun:test';
import { isEmailAddress } from '../../../src/auth/auth-service.ts';
import { uploadKey } from '../../../src/docs/upload.ts';
import { inlineCodeBlocks } from '../../../src/providers/offline-llm-client.ts';
import { atxHeading } from '../../../src/rag/chunker.ts';
import { s3Location } from '../../../src/rag/ingestion.ts';
import { endsWithThat } from '../../../src/rag/query-rewriter.ts';
import { trimWhere } from '../../../src/strings.ts';
import { prng } from '../../support/prng.ts';

/**
 * The hand-written scanners that replaced backtracking expressions agree with those expressions
 * on thousands of short random inputs built from the characters that matter to each, and stay
 * fast on the inputs that made the expressions slow. (The old expressions live only here.)
 */
function randomStrings(alphabet: string[], count: number, maxLength: number, seed: number): string[] {
  const next = prng(seed);
  return Array.from({ length: count }, () => {
    let s = '';
    const length = Math.floor(next() * maxLength);
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  });
}

/** Runs `f` on `input` and fails when it takes more than a generous bound (a blow-up, not a benchmark). */
function quickly<T>(f: (input: string) => T, input: string): T {
  const started = performance.now();
  const result = f(input);
  expect(performance.now() - started).toBeLessThan(500);
  return result;
}

const MEGABYTE = 1_000_000;

test('emails: the same verdict as /^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$/, in linear time', () => {
  const old = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
  for (const s of randomStrings(['a', '@', '.', ' ', '\t', 'é', '\n'], 5000, 10, 1)) {
    expect([s, isEmailAddress(s)]).toEqual([s, old.test(s)]);
  }
  for (const ok of ['ada@example.com', 'a.b+c@sub.example.co.uk', 'ünï@exämple.de'])
    expect(isEmailAddress(ok)).toBe(true);
  for (const bad of ['ada@example', '@example.com', 'ada@.com', 'ada@example.', 'a b@c.d', 'a@b@c.d']) {
    expect(isEmailAddress(bad)).toBe(false);
  }
  expect(quickly(isEmailAddress, `a@${'.'.repeat(MEGABYTE)}@`)).toBe(false);
});

test('headings: the same level and text as /^(#{1,6})\\s+(.+?)\\s*#*\\s*$/, in linear time', () => {
  const old = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
  for (const s of randomStrings(['#', ' ', '\t', 'a', '\u2028', '*'], 20000, 12, 2)) {
    const m = old.exec(s);
    expect([s, atxHeading(s)]).toEqual([s, m ? { level: (m[1] as string).length, text: m[2] as string } : null]);
  }
  expect(quickly(atxHeading, `# a${' \t'.repeat(MEGABYTE / 2)}x`)).toEqual({
    level: 1,
    text: `a${' \t'.repeat(MEGABYTE / 2)}x`,
  });
});

test('follow-ups ending in "that": the same verdict as /\\bthat\\s*[?.!]*\\s*$/i, in linear time', () => {
  const old = /\bthat\s*[?.!]*\s*$/i;
  for (const s of randomStrings(['that', 'THAT', 'x', ' ', '?', '.', '!', '_', '\n'], 5000, 6, 3)) {
    expect([s, endsWithThat(s)]).toEqual([s, old.test(s)]);
  }
  expect(quickly(endsWithThat, `that${' '.repeat(MEGABYTE)}x`)).toBe(false);
});

test('code blocks: the same text as the fenced-block expression, in linear time', () => {
  const old = /(:?)\s*\n?\s*(```|~~~)[^\n]*\n([\s\S]*?)\n\s*\2[^\n]*/g;
  const before = (text: string) =>
    text.replace(old, (_m, colon: string, _fence, code: string) => {
      const lines = code.trim().split('\n');
      if (lines.length > 3) return colon ? `${colon} (see the code in the source)\n\n` : '\n\n';
      return `${colon} ${lines.map((l) => `\`${l.trim()}\``).join(', ')}.\n\n`;
    });
  for (const s of randomStrings(['```', '~~~', '`', ':', '\n', ' ', 'a', 'js'], 20000, 14, 4)) {
    expect([s, inlineCodeBlocks(s)]).toEqual([s, before(s)]);
  }
  quickly(inlineCodeBlocks, ':~~~\n'.repeat(MEGABYTE / 5));
  quickly(inlineCodeBlocks, `\`\`\`\n${'\n'.repeat(MEGABYTE)}x`);
});

test('trimming and S3 locations agree with the expressions they replaced', () => {
  const old = /^[.\s-]+|[.\s-]+$/g;
  const strip = (ch: string) => ch === '.' || ch === '-' || ch.trim() === '';
  for (const s of randomStrings(['.', '-', ' ', 'a', '\t'], 5000, 10, 5)) {
    expect([s, trimWhere(s, strip)]).toEqual([s, s.replace(old, '')]);
  }
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/;
  for (const s of randomStrings(['s3://', '/', 'a', '\n', ':'], 5000, 6, 6)) {
    const m = s3.exec(s);
    expect([s, s3Location(s)]).toEqual([s, m ? { bucket: m[1] as string, prefix: m[2] as string } : null]);
  }
  expect(quickly((name) => uploadKey(name), `a${'.'.repeat(MEGABYTE)}x.md`)).toMatch(
    /^uploads\/a\.{99}-[0-9a-f]{6}\.md$/,
  );
});
