import { Elysia } from 'elysia';
import { AdminPage, CollectionsSection, UsersSection } from '../../views/admin.tsx';
import type { NoticeKind } from '../../views/chat.tsx';
import type { AppDeps } from '../deps.ts';
import type { Principal } from '../domain.ts';
import { MIN_PASSWORD_CHARS } from '../domain.ts';
import { orRefusal } from '../http/error-responses.tsx';
import { routeRules } from '../http/route-rules.ts';
import { errorText, t } from '../i18n/request-locale.ts';
import { shellData } from '../shell-data.ts';
import { usersWithGrants } from './admin-users.ts';

const HTML_TYPE = 'text/html; charset=utf-8';

type Form = Record<string, unknown>;

/** The /admin page: users, collections and the audit log. Admins only, and only with accounts on. */
export function adminPageRoutes(deps: AppDeps) {
  const { auth } = deps;

  const usersSection = async (principal: Principal, notice?: { message: string; kind: NoticeKind }) => (
    <UsersSection
      users={await usersWithGrants(auth)}
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
    const done = await orRefusal(work);
    return usersSection(
      principal,
      done.ok ? { message: done.value, kind: 'success' } : { message: errorText(done.error), kind: 'error' },
    );
  };

  const optionalPassword = (form: Form) =>
    typeof form.password === 'string' && form.password !== '' ? form.password : undefined;

  return new Elysia({ name: 'admin-page-routes' }).use(routeRules(deps)).guard({ admin: true }, (admin) =>
    admin
      .get('/admin', async ({ principal, set }) => {
        set.headers['content-type'] = HTML_TYPE;
        return (
          <AdminPage
            shell={await shellData(deps, principal)}
            users={await usersWithGrants(auth)}
            collections={await auth.listCollections()}
            audit={await auth.listAudit(100)}
            currentUserId={principal.user.id}
            minPassword={MIN_PASSWORD_CHARS}
          />
        );
      })
      .post('/admin/users', async ({ principal, body, set }) => {
        const form = (body ?? {}) as Form;
        return change(principal, set, async () => {
          const user = await auth.createUser(principal, form);
          return t('admin.userAdded', { who: user.email ?? user.name });
        });
      })
      .post('/admin/users/:id', async ({ principal, params, body, set }) => {
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
      .delete('/admin/users/:id', async ({ principal, params, set }) =>
        change(principal, set, async () => {
          await auth.deleteUser(principal, params.id);
          return t('admin.userDeleted');
        }),
      )
      .post('/admin/collections', async ({ principal, body, set }) => {
        set.headers['content-type'] = HTML_TYPE;
        const done = await orRefusal(() => auth.createCollection(principal, { name: (body as Form | null)?.name }));
        const notice: { message: string; kind: NoticeKind } = done.ok
          ? { message: t('admin.collectionAdded', { name: done.value.name, id: done.value.id }), kind: 'success' }
          : { message: errorText(done.error), kind: 'error' };
        return <CollectionsSection collections={await auth.listCollections()} notice={notice} />;
      }),
  );
}
