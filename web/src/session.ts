import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Role, WhoAmI } from './api';

export interface Session {
  me: WhoAmI;
  /** The tenant the tenant views act for: the token's own, or the one an operator picked. */
  tenantId: string | null;
  setTenantId: (id: string) => void;
  /** The publisher the publisher views act for: the token's own, or the one an operator picked. */
  publisherId: string | null;
  setPublisherId: (id: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) {
    throw new Error('useSession outside the signed-in shell');
  }
  return value;
}

/** What a role may change. The admin API enforces it; the portal only hides controls that would be refused. */
export const roleCan = {
  manageTenant: (role: Role) => role === 'tenant-admin' || role === 'operator-admin',
  createKeys: (role: Role) => role === 'tenant-admin' || role === 'tenant-developer' || role === 'operator-admin',
  managePublisher: (role: Role) => role === 'publisher-admin' || role === 'operator-admin',
  reviewCases: (role: Role) => role === 'reviewer' || role === 'operator-admin',
};
