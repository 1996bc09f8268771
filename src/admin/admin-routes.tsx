import { Elysia } from 'elysia';
import { AdminPage, CollectionsSection, UsersSection } from '../../views/admin.tsx';
import type { NoticeKind } from '../../views/chat.tsx';
import { principalOf, requireAdmin } from '../auth/request-auth.ts';
import { MIN_PASSWORD_CHARS } from '../config.ts';
import type { AppDeps } from '../deps.ts';
import type { Principal } from '../domain.ts';
import { AppError, badInput, notFoundSaying } from '../errors.ts';
import { errorText, t } from '../i18n/request-locale.ts';
import { shellData } from '../shell-data.ts';

const HTML_TYPE = 'text/html; charset=utf-8';

type Form = Record<string, unknown>;

/** Only admins, and only with accounts on: AUTH_MODE=none has no one to manage. */
function admin(deps: AppDeps, request: Request): Principal {
  if (!deps.auth.enabled) throw notFoundSaying('Accounts are off here (AUTH_MODE=none).');
  const principal = principalOf(request);
  requireAdmin(principal);
  return principal;
}

/** Users, collections and the audit log: the /admin page and the same under /api/admin. */
export function adminRoutes(deps: AppDeps) {
  const { auth } = deps;

  const usersWithGrants = async () =>
    Promise.all((await auth.listUsers()).map(async (user) => ({ user, collections: await auth.grantsOf(user.id) })));

  const usersSection = async (principal: Principal, notice?: { message: string; kind: NoticeKind }) => (
    <UsersSection
      users={await usersWithGrants()}
      collections={await auth.listCollections()}
      currentUserId={principal.user.id}
      minPassword={MIN_PASSWORD_CHARS}
      notice={notice}
    />
  );

  /** Runs a change; a refusal (4xx) is shown in the section instead of replacing it with an error. */
  const change = async (
    principal: Principal,
    set: { status?: number | string; headers: Record<string, unknown> },
    work: () => Promise<string>,
  ) => {
    set.headers['content-type'] = HTML_TYPE;
    try {
      return await usersSection(principal, { message: await work(), kind: 'success' });
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      return usersSection(principal, { message: errorText(error), kind: 'error' });
    }
  };

  const optionalPassword = (form: Form) =>
    typeof form.password === 'string' && form.password !== '' ? form.password : undefined;

  return (
    new Elysia()
      .get('/admin', async ({ request, set }) => {
        const principal = admin(deps, request);
        set.headers['content-type'] = HTML_TYPE;
        return (
          <AdminPage
            shell={await shellData(deps, principal)}
            users={await usersWithGrants()}
            collections={await auth.listCollections()}
            audit={await auth.listAudit(100)}
            currentUserId={principal.user.id}
            minPassword={MIN_PASSWORD_CHARS}
          />
        );
      })
      .post('/admin/users', async ({ body, request, set }) => {
        const principal = admin(deps, request);
        const form = (body ?? {}) as Form;
        return change(principal, set, async () => {
          const user = await auth.createUser(principal, form);
          return t('admin.userAdded', { who: user.email ?? user.name });
        });
      })
      .post('/admin/users/:id', async ({ params, body, request, set }) => {
        const principal = admin(deps, request);
        const form = (body ?? {}) as Form;
        return change(principal, set, async () => {
          const user = await auth.updateUser(principal, params.id, {
            role: form.role,
            collections: form.collections ?? [],
            password: optionalPassword(form),
          });
          return t('admin.userSaved', { who: user.email ?? user.name });
        });
      })
      .delete('/admin/users/:id', async ({ params, request, set }) => {
        const principal = admin(deps, request);
        return change(principal, set, async () => {
          await auth.deleteUser(principal, params.id);
          return t('admin.userDeleted');
        });
      })
      .post('/admin/collections', async ({ body, request, set }) => {
        const principal = admin(deps, request);
        set.headers['content-type'] = HTML_TYPE;
        let notice: { message: string; kind: NoticeKind };
        try {
          const c = await auth.createCollection(principal, { name: (body as Form | null)?.name });
          notice = { message: t('admin.collectionAdded', { name: c.name, id: c.id }), kind: 'success' };
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          notice = { message: errorText(error), kind: 'error' };
        }
        return <CollectionsSection collections={await auth.listCollections()} notice={notice} />;
      })
      // ── JSON ──
      .get('/api/admin/users', async ({ request }) => {
        admin(deps, request);
        return {
          users: (await usersWithGrants()).map(({ user, collections }) => ({ ...user, collections })),
        };
      })
      .post('/api/admin/users', async ({ body, request, set }) => {
        const principal = admin(deps, request);
        const input = jsonObject(body);
        const user = await auth.createUser(principal, input);
        set.status = 201;
        return { ...user, collections: await auth.grantsOf(user.id) };
      })
      .patch('/api/admin/users/:id', async ({ params, body, request }) => {
        const principal = admin(deps, request);
        const input = jsonObject(body);
        const user = await auth.updateUser(principal, params.id, {
          role: input.role,
          collections: input.collections,
          password: input.password,
        });
        return { ...user, collections: await auth.grantsOf(user.id) };
      })
      .delete('/api/admin/users/:id', async ({ params, request, set }) => {
        await auth.deleteUser(admin(deps, request), params.id);
        set.status = 204;
        return '';
      })
      .get('/api/admin/collections', async ({ request }) => {
        admin(deps, request);
        return { collections: await auth.listCollections() };
      })
      .post('/api/admin/collections', async ({ body, request, set }) => {
        const principal = admin(deps, request);
        const input = jsonObject(body);
        set.status = 201;
        return auth.createCollection(principal, { id: input.id, name: input.name });
      })
      .get('/api/admin/audit', async ({ request }) => {
        admin(deps, request);
        return { entries: await auth.listAudit(500) };
      })
  );
}

function jsonObject(body: unknown): Form {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badInput('Send a JSON object.');
  }
  return body as Form;
}
