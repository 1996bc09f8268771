import { existsSync, readdirSync } from 'node:fs';
import postgres from 'postgres';

/**
 * The suites test against a real Postgres (TEST_DATABASE_URL, by default this machine's). When it
 * is not answering and this is a Debian machine where we are root, start the local cluster the
 * way its packages do; otherwise say exactly what to run.
 */
const URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function answers(): Promise<boolean> {
  const sql = postgres(URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function ensurePostgres(): Promise<void> {
  if (await answers()) return;
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  const canStart = process.getuid?.() === 0 && versions.length > 0 && existsSync('/usr/bin/pg_ctlcluster');
  if (canStart) {
    console.log(`Starting the local Postgres ${versions[0]} cluster for the tests…`);
    await Bun.spawn(['pg_ctlcluster', '--skip-systemctl-redirect', versions[0] as string, 'main', 'start'], {
      stdout: 'inherit',
      stderr: 'inherit',
    }).exited;
    for (let i = 0; i < 20 && !(await answers()); i++) await Bun.sleep(500);
    if (await answers()) return;
  }
  throw new Error(
    `The tests need Postgres at ${URL} and it does not answer.\n` +
      'Start it (on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), ' +
      'or point TEST_DATABASE_URL at one.',
  );
}

if (import.meta.main) await ensurePostgres();
