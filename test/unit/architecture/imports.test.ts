import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Layers only point down: no module imports itself back through others, and no folder of `src/`
 * imports a folder that imports it (the way `stores/` and `rag/` once did). Read from the sources
 * with Bun's own import scanner, so the check sees exactly what the bundler sees; type-only
 * imports count too, as they tie the modules together just the same for a reader.
 */

const SRC = resolve(import.meta.dir, '../../../src');

function sourceFiles(): string[] {
  return [...new Bun.Glob('**/*.{ts,tsx}').scanSync({ cwd: SRC })].map((f) => join(SRC, f)).sort();
}

/** Each file's imports of other files of src/ (packages and Bun's modules left out). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    const code = readFileSync(file, 'utf8');
    const loader = file.endsWith('.tsx') ? 'tsx' : 'ts';
    const imports = new Bun.Transpiler({ loader, trimUnusedImports: false })
      .scanImports(code)
      .map((i) => i.path)
      .filter((p) => p.startsWith('.'))
      .map((p) => resolve(dirname(file), p));
    graph.set(file, imports);
  }
  return graph;
}

/** Strongly connected components with more than one member, or a member importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, indices.get(w) as number));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

/** A file's top folder under src/ (rag/loaders is rag); a file directly in src/ stands alone. */
const folderOf = (file: string) => relative(SRC, file).split('/')[0] as string;

describe('imports', () => {
  const graph = importGraph();

  test('the scan sees the tree (a broken scan must not pass for a clean one)', () => {
    expect(graph.size).toBeGreaterThan(90);
    const app = [...graph.entries()].find(([file]) => file.endsWith('/src/app.tsx'));
    expect(app?.[1].length).toBeGreaterThan(5);
  });

  test('no module imports itself back through others', () => {
    expect(cycles(graph).map((c) => c.map((f) => relative(SRC, f)))).toEqual([]);
  });

  test('no two folders of src/ import each other', () => {
    const folders = new Map<string, string[]>();
    for (const [file, imports] of graph) {
      const from = folderOf(file);
      const targets = new Set(folders.get(from) ?? []);
      for (const target of imports) if (graph.has(target) && folderOf(target) !== from) targets.add(folderOf(target));
      folders.set(from, [...targets]);
    }
    expect(cycles(folders)).toEqual([]);
  });
});
