import type { ShellData } from '../views/shell.tsx';
import type { AppDeps } from './deps.ts';
import type { Principal } from './domain.ts';

/** What the side bar of every signed-in page shows: the user's conversations, links and mode. */
export async function shellData(deps: AppDeps, principal: Principal): Promise<ShellData> {
  return {
    principal,
    accounts: deps.auth.enabled,
    conversations: await deps.chat.listConversations(principal.user.id),
    offline: deps.chat.offline,
    model: deps.llm.model,
  };
}
