import type { ComponentChildren } from 'preact';
import { listAll, type Publisher, type Tenant } from './api';
import { useSession } from './session';
import { Load, Select, useLoad } from './ui';

/**
 * Renders a tenant view for the caller's own tenant; an operator (who may act for any tenant) first picks one.
 */
export function TenantGate({ children }: { children: (tenantId: string) => ComponentChildren }) {
  const session = useSession();
  if (session.me.tenant_id) {
    return <>{children(session.me.tenant_id)}</>;
  }
  return <OperatorTenantPicker>{children}</OperatorTenantPicker>;
}

function OperatorTenantPicker({ children }: { children: (tenantId: string) => ComponentChildren }) {
  const session = useSession();
  const tenants = useLoad(() => listAll<Tenant>('/tenants'), []);
  return (
    <Load state={tenants} label="Loading tenants…">
      {(list) => {
        if (list.length === 0) {
          return <p class="empty">There are no tenants yet. Create one under Operator → Tenants & tokens.</p>;
        }
        const chosen = list.some((t) => t.id === session.tenantId) ? session.tenantId! : list[0].id;
        return (
          <>
            <div class="scope-picker">
              <Select label="Acting for tenant" value={chosen} onChange={session.setTenantId} hint="As operator you may act for any tenant.">
                {list.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} ({t.id})
                  </option>
                ))}
              </Select>
            </div>
            {children(chosen)}
          </>
        );
      }}
    </Load>
  );
}

/** Renders a publisher view for the caller's own publisher; an operator first picks one. */
export function PublisherGate({ children }: { children: (publisherId: string) => ComponentChildren }) {
  const session = useSession();
  if (session.me.publisher_id) {
    return <>{children(session.me.publisher_id)}</>;
  }
  return <OperatorPublisherPicker>{children}</OperatorPublisherPicker>;
}

function OperatorPublisherPicker({ children }: { children: (publisherId: string) => ComponentChildren }) {
  const session = useSession();
  const publishers = useLoad(() => listAll<Publisher>('/publishers'), []);
  return (
    <Load state={publishers} label="Loading publishers…">
      {(list) => {
        if (list.length === 0) {
          return <p class="empty">There are no publishers yet.</p>;
        }
        const chosen = list.some((p) => p.id === session.publisherId) ? session.publisherId! : list[0].id;
        return (
          <>
            <div class="scope-picker">
              <Select label="Acting for publisher" value={chosen} onChange={session.setPublisherId} hint="As operator you may act for any publisher.">
                {list.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} ({p.id})
                  </option>
                ))}
              </Select>
            </div>
            {children(chosen)}
          </>
        );
      }}
    </Load>
  );
}
