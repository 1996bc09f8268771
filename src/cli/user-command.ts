import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthService } from '../auth/auth-service.ts';
import { configOrProblem } from '../config.ts';
import { DEFAULT_COLLECTION } from '../domain.ts';
import { AppError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import type { AccountStore } from '../stores/account-store.ts';
import { PostgresAccountStore } from '../stores/postgres-account-store.ts';
import { migratePostgres, openPostgres } from '../stores/postgres-database.ts';
import { SqliteAccountStore } from '../stores/sqlite-account-store.ts';
import { openSqliteDatabase } from '../stores/sqlite-database.ts';

const USAGE = `Usage: npm run user:create -- --email <address> [--admin] [--name <name>] [--collections a,b]

Creates an account (AUTH_MODE=password) in the configured database (DATABASE_URL, or the SQLite
file in DATA_DIR). The password is read from standard input when it is piped
(echo "$PASSWORD" | npm run user:create -- ...); otherwise a strong one is generated and printed once.`;

/** `bun run user:create` / `ragchat user:create`: the first admin, or any account, from a shell. */
export async function runUserCreateCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  let options: { email?: string; admin?: boolean; name?: string; collections?: string; help?: boolean };
  try {
    options = parseArgs({
      args,
      options: {
        email: { type: 'string' },
        admin: { type: 'boolean' },
        name: { type: 'string' },
        collections: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help || !options.email) {
    console.error(USAGE);
    return options.help ? 0 : 2;
  }
  const config = configOrProblem(env);
  if (typeof config === 'string') {
    console.error(config);
    return 1;
  }

  const piped = !process.stdin.isTTY;
  const password = piped
    ? ((await Bun.stdin.text()).split(/\r?\n/)[0] ?? '')
    : Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64url');

  const pg = config.database ? openPostgres({ url: config.database.url, poolSize: 1 }) : null;
  const db = pg ? null : openSqliteDatabase(join(config.dataDir, 'ragchat.sqlite'));
  try {
    if (pg) await migratePostgres(pg);
    const store: AccountStore = pg ? new PostgresAccountStore(pg) : new SqliteAccountStore(db as never);
    const auth = new AuthService(store, silentLogger, config.auth);
    const user = await auth.createUser(null, {
      email: options.email,
      name: options.name,
      password,
      role: options.admin ? 'admin' : 'member',
      collections: options.collections?.split(',').map((c) => c.trim()) ?? [DEFAULT_COLLECTION],
    });
    console.log(`Created ${user.role} ${user.email}.`);
    if (!piped) console.log(`Password (shown once; change it on the account page): ${password}`);
    if (config.auth.mode !== 'password') {
      console.log('Note: AUTH_MODE is not "password", so the server does not ask anyone to log in yet.');
    }
    return 0;
  } catch (error) {
    console.error(error instanceof AppError ? error.message : (error as Error).message);
    return 1;
  } finally {
    await pg?.end();
    db?.close();
  }
}
