import { Elysia } from 'elysia';
import type { AppDeps } from '../deps.ts';
import { badInput } from '../errors.ts';
import { routeRules } from '../http/route-rules.ts';
import { usersWithGrants } from './admin-users.ts';

type Form = Record<string, unknown>;

/** Users, collections and the audit log as JSON under /api/admin. Admins only, with accounts on. */
export function adminApiRoutes(deps: AppDeps) {
  const { auth } = deps;
  return new Elysia({ name: 'admin-api-routes', prefix: '/api/admin' })
    .use(routeRules(deps))
    .guard({ admin: true }, (admin) =>
      admin
        .get('/users', async () => ({
          users: (await usersWithGrants(auth)).map(({ user, collections }) => ({ ...user, collections })),
        }))
        .post('/users', async ({ principal, body, set }) => {
          const user = await auth.createUser(principal, jsonObject(body));
          set.status = 201;
          return { ...user, collections: await auth.grantsOf(user.id) };
        })
        .patch('/users/:id', async ({ principal, params, body }) => {
          const input = jsonObject(body);
          const user = await auth.updateUser(principal, params.id, {
            role: input.role,
            collections: input.collections,
            password: input.password,
          });
          return { ...user, collections: await auth.grantsOf(user.id) };
        })
        .delete('/users/:id', async ({ principal, params, set }) => {
          await auth.deleteUser(principal, params.id);
          set.status = 204;
          return '';
        })
        .get('/collections', async () => ({ collections: await auth.listCollections() }))
        .post('/collections', async ({ principal, body, set }) => {
          const input = jsonObject(body);
          set.status = 201;
          return auth.createCollection(principal, { id: input.id, name: input.name });
        })
        .get('/audit', async () => ({ entries: await auth.listAudit(500) })),
    );
}

function jsonObject(body: unknown): Form {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badInput('Send a JSON object.');
  }
  return body as Form;
}
