import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Copies htmx and its SSE extension from the npm package into assets/vendor: no CDN at run time. */
const root = join(import.meta.dir, '..');
const vendor = join(root, 'assets', 'vendor');
const htmx = dirname(require.resolve('htmx.org/package.json', { paths: [root] }));
mkdirSync(vendor, { recursive: true });
for (const [from, to] of [
  ['dist/htmx.min.js', 'htmx.min.js'],
  ['dist/ext/hx-sse.min.js', 'hx-sse.min.js'],
]) {
  copyFileSync(join(htmx, from as string), join(vendor, to as string));
}
