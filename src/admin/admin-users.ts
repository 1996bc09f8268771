import type { AuthService } from '../auth/auth-service.ts';

/** Every user with the collections they may read: the admin page's table and the API's list. */
export const usersWithGrants = async (auth: AuthService) =>
  Promise.all((await auth.listUsers()).map(async (user) => ({ user, collections: await auth.grantsOf(user.id) })));
