import { expect, test } from 'bun:test';
import { join, relative } from 'node:path';
import { Glob } from 'bun';
import { checkSync } from 'recheck';
import ts from 'typescript';

/**
 * No regular expression in src/ or views/ may backtrack super-linearly: each regex literal and
 * each `new RegExp('literal')` is checked by recheck (automaton analysis, fuzzing where that is
 * inconclusive), on its pure-JavaScript backend so the check needs no native binary nor Java.
 * A pattern built at run time cannot be checked and fails too. A flagged pattern that is safe for
 * a reason the checker cannot see (bounded input) is allowed only by an entry below, with it.
 */
const ROOT = join(import.meta.dir, '..', '..', '..');
const SCANNED = ['src', 'views'];

/** `file` and the pattern's source text as written, e.g. `/\/+$/`; each with why it is safe. */
const ALLOWED: { file: string; pattern: string; reason: string }[] = [
  {
    file: 'src/config.ts',
    pattern: '/\\/+$/',
    reason:
      'OTEL_EXPORTER_OTLP_ENDPOINT, set by the operator and read once at start; never request input, and a URL of a few hundred characters at most.',
  },
];

export interface FoundPattern {
  file: string;
  line: number;
  /** As written in the source: `/a+/g`, or `new RegExp(...)`. */
  text: string;
  source: string | null;
  flags: string;
}

/** The regular expressions of one TypeScript file: literals, and RegExp calls with literal arguments. */
export function patternsIn(file: string, code: string): FoundPattern[] {
  const kind = file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sourceFile = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, kind);
  const found: FoundPattern[] = [];
  const at = (node: ts.Node) => sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const text = node.getText(sourceFile);
      const slash = text.lastIndexOf('/');
      found.push({ file, line: at(node), text, source: text.slice(1, slash), flags: text.slice(slash + 1) });
    } else if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      node.expression.getText(sourceFile) === 'RegExp'
    ) {
      const [pattern, flags] = node.arguments ?? [];
      const literal = (n: ts.Expression | undefined) =>
        n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : null;
      found.push({
        file,
        line: at(node),
        text: node.getText(sourceFile),
        source: literal(pattern),
        flags: flags === undefined ? '' : (literal(flags) ?? '?'),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/** Why a pattern is unsafe (complexity and an attack string), or null when recheck finds it linear. */
export function problemOf(source: string, flags: string): string | null {
  const result = checkSync(source, flags, { backend: 'pure', timeout: 10_000 } as Parameters<typeof checkSync>[2]);
  if (result.status === 'safe') return null;
  if (result.status === 'vulnerable') {
    return `${result.complexity.summary}, e.g. on ${result.attack.pattern}`;
  }
  return `could not be checked (${result.error.kind})`;
}

async function allPatterns(): Promise<FoundPattern[]> {
  const found: FoundPattern[] = [];
  for (const dir of SCANNED) {
    for await (const path of new Glob('**/*.{ts,tsx}').scan({ cwd: join(ROOT, dir), absolute: true })) {
      found.push(...patternsIn(relative(ROOT, path), await Bun.file(path).text()));
    }
  }
  return found;
}

test('the checker flags known-bad patterns and passes linear ones', () => {
  // The email check an outside test used to block the server for 10 s with one request.
  expect(problemOf('^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', '')).toContain('polynomial');
  expect(problemOf('[.\\s-]+$', 'g')).toContain('polynomial');
  expect(problemOf('^(a+)+$', '')).toContain('exponential');
  expect(problemOf('^[a-z0-9][a-z0-9-]{0,39}$', '')).toBeNull();
  expect(problemOf('[^\\p{L}\\p{N} ._()-]+', 'gu')).toBeNull();
});

test('the scanner finds regex literals and RegExp calls, and reports built patterns', () => {
  const code = [
    'const EMAIL = /^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$/;',
    "const a = 1 / 2, b = 'not /a regex/';",
    "const c = new RegExp('x+y', 'i');",
    'const d = RegExp(prefix + "x");',
    '<div title="a/b">{x / y}</div>;',
  ].join('\n');
  expect(patternsIn('example.tsx', code).map((p) => [p.line, p.source, p.flags])).toEqual([
    [1, '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', ''],
    [3, 'x+y', 'i'],
    [4, null, ''],
  ]);
});

test('no regular expression in src/ or views/ can backtrack super-linearly', async () => {
  const patterns = await allPatterns();
  expect(patterns.length).toBeGreaterThan(50);
  const problems: string[] = [];
  const used = new Set<(typeof ALLOWED)[number]>();
  for (const p of patterns) {
    const problem = p.source === null ? 'is built at run time, so it cannot be checked' : problemOf(p.source, p.flags);
    if (!problem) continue;
    const allowed = ALLOWED.find((a) => a.file === p.file && a.pattern === p.text);
    if (allowed) used.add(allowed);
    else problems.push(`${p.file}:${p.line}: ${p.text} ${problem}`);
  }
  const stale = ALLOWED.filter((a) => !used.has(a)).map(
    (a) => `allow-list entry no longer needed: ${a.file} ${a.pattern}`,
  );
  expect([...problems, ...stale]).toEqual([]);
}, 120_000);
