import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * infra/ (the Pulumi program) is its own npm package, so the app's image does not carry Pulumi.
 * Its tests and type-check need its packages: install them from its lock file when they are
 * missing or the lock file changed since the last install (a hash kept in node_modules says
 * which). `--ignore-scripts`: the only install scripts there fetch Pulumi plugins through the
 * Pulumi CLI, which the mock-based tests do not use. `--loglevel=error`: those packages declare
 * Node 22 (which `pulumi up` needs, as infra/README.md says), but here only Bun runs them, so
 * npm's engine warnings on a Node 20 machine are noise; errors still show.
 */
const INFRA = join(import.meta.dir, '..', 'infra');
const LOCK = join(INFRA, 'package-lock.json');
const STAMP = join(INFRA, 'node_modules', '.installed-lock-sha256');

export async function ensureInfraDeps(): Promise<void> {
  const want = createHash('sha256').update(readFileSync(LOCK)).digest('hex');
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === want) return;
  console.log('Installing infra/ packages (npm ci --prefix infra)…');
  const code = await Bun.spawn(
    ['npm', 'ci', '--prefix', INFRA, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    {
      stdout: 'inherit',
      stderr: 'inherit',
    },
  ).exited;
  if (code !== 0) throw new Error(`npm ci --prefix infra failed (exit ${code}); run it by hand to see why`);
  writeFileSync(STAMP, `${want}\n`);
}
