import { createMongoAbility, type MongoAbility } from '@casl/ability';
import { unpackRules, type PackRule } from '@casl/ability/extra';
import { useAbility as useCaslAbility } from '@casl/react';
import { createContext, useContext } from 'react';
import type { Me } from './api.ts';

export type AppAbility = MongoAbility;

/** The same action and subject wildcards as the server's ability, so the unpacked rules mean the same here. */
export function abilityFromRules(rules: unknown[]): AppAbility {
  return createMongoAbility(unpackRules(rules as PackRule<never>[]), { anyAction: '*', anySubjectType: 'all' });
}

export { AbilityProvider, Can } from '@casl/react';

export function useAbility(): AppAbility {
  return useCaslAbility<AppAbility>();
}

export interface SessionState {
  me: Me;
  instanceAdmin: boolean;
  signOut: () => Promise<void>;
  reload: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
