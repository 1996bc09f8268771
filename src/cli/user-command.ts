import { parseArgs } from 'node:util';
import { AuthService } from '../auth/auth-service.ts';
import { postgresBackends } from '../backends/postgres-backends.ts';
import { sqliteBackends } from '../backends/sqlite-backends.ts';
import { DEFAULT_COLLECTION } from '../domain.ts';
import { AppError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import { configOrReport } from '../startup.ts';

const USAGE = `Usage: npm run user:create -- --email <address> [--admin] [--name <name>] [--collections a,b]

Creates an account (AUTH_MODE=password) in the configured database (DATABASE_URL, or the SQLite
file in DATA_DIR). The password is read from standard input when it is piped
(echo "$PASSWORD" | npm run user:create -- ...); otherwise a strong one is generated and printed once.`;

/** Where the password comes from: piped in, or (from a terminal) none, and one is generated. */
export interface PasswordInput {
  piped: boolean;
  text(): Promise<string>;
}

const standardInput = (): PasswordInput => ({ piped: !process.stdin.isTTY, text: () => Bun.stdin.text() });

/** `bun run user:create` / `ragchat user:create`: the first admin, or any account, from a shell. */
export async function runUserCreateCommand(
  args: string[],
  env: Record<string, string | undefined>,
  input: PasswordInput = standardInput(),
): Promise<number> {
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
  const config = configOrReport(env);
  if (!config) return 1;

  const { piped } = input;
  const password = piped
    ? ((await input.text()).split(/\r?\n/)[0] ?? '')
    : Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64url');

  // Only the accounts' backend: the index and the providers play no part in creating a user.
  const backends = config.database
    ? await postgresBackends(config.database, config.live, silentLogger)
    : sqliteBackends(config);
  try {
    await backends.migrate();
    const auth = new AuthService(backends.accounts, silentLogger, config.auth);
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
    await backends.close();
  }
}
