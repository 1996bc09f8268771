import { afterAll, expect, test } from 'bun:test';
import { createApp } from '../../../src/app.tsx';
import { silentLogger } from '../../../src/logger.ts';
import { openDeps } from '../../../src/startup.ts';
import { ALICE, makeAccountsApp } from '../../support/accounts.ts';
import { dropSchemas, freshSchema } from '../../support/postgres.ts';
import { ASSETS_DIR } from '../../support/test-deps.ts';

afterAll(dropSchemas);

test('wrong passwords count on every instance: the fifth in a row, wherever it lands, blocks the account on the others', async () => {
  const { schema, url } = await freshSchema();
  const first = await makeAccountsApp({ DATABASE_URL: `${url}?search_path=${schema}` });
  // A second instance on the same database (and the same embedded index, as one must be).
  const secondDeps = await openDeps(first.config, { logger: silentLogger });
  const second = createApp(secondDeps, { assetsDir: ASSETS_DIR });
  await second.modules;
  const instances = [
    first.request,
    (path: string, init?: RequestInit) => second.handle(new Request(`http://localhost${path}`, init)),
  ];
  const attempt = (i: number, password: string) =>
    instances[i % 2]?.('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ email: ALICE.email, password }),
    }) as Promise<Response>;
  try {
    for (let i = 0; i < 5; i++) expect((await attempt(i, 'not-her-password')).status).toBe(401);
    // Refused on both instances, before any hash is checked, even with the right password.
    for (const i of [0, 1]) {
      const refused = await attempt(i, ALICE.password);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    await Bun.sleep(1100);
    expect((await attempt(1, ALICE.password)).status).toBe(303);
    // The right password cleared it everywhere.
    expect((await attempt(0, 'not-her-password')).status).toBe(401);
  } finally {
    await secondDeps.close();
    await first.cleanup();
  }
}, 30_000);
