import { basename, join } from 'node:path';

/**
 * Where a folder that ships with ragchat (`assets`, `ingest/sample-docs`) is. In a checkout, under
 * the repository root. In the compiled binary, inside the binary itself: `bun build --compile
 * --asset assets --asset ingest/sample-docs` (package.json's `build`) embeds each folder, under its
 * own name (`sample-docs/...`, not `ingest/sample-docs/...`), in Bun's internal file system, whose
 * root is every bundled module's `import.meta.dir` (`/$bunfs/root`; `B:\~BUN\root` on Windows) and
 * which `node:fs` and `Bun.file` read. So the binary needs no folder beside it.
 */
export function shippedPath(folder: string): string {
  return isCompiled(import.meta.dir) ? join(import.meta.dir, basename(folder)) : join(import.meta.dir, '..', folder);
}

/** True for the directory of a module bundled into a standalone executable. */
export function isCompiled(moduleDir: string): boolean {
  return moduleDir.startsWith('/$bunfs/') || moduleDir.startsWith('B:\\~BUN\\');
}
