import { existsSync } from 'node:fs';

/**
 * The browser tests drive Debian's Chromium (Playwright's own browser download is not an option:
 * it fetches a binary from outside the package registries). Installs it with apt when missing and
 * we are root; otherwise says exactly what to run.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) {
    throw new Error(
      `Chromium is needed for the browser tests and was not found at ${CHROMIUM}.\n` +
        'Install it with: sudo apt-get install -y chromium  (or set CHROMIUM_PATH to a Chromium binary).',
    );
  }
  console.log('Installing Chromium for the browser tests (apt-get install -y chromium)…');
  for (const cmd of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', 'chromium'],
  ]) {
    const code = await Bun.spawn(cmd, {
      stdout: 'inherit',
      stderr: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).exited;
    if (code !== 0) throw new Error(`\`${cmd.join(' ')}\` failed with exit code ${code}.`);
  }
}

if (import.meta.main) await ensureChromium();
