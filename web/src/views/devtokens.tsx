import { useState } from 'preact/hooks';
import { listAll, post, type AdminToken } from '../api';
import { TenantGate } from '../scope';
import { Actor, ConfirmButton, Empty, ErrorBox, Field, formatTime, Load, Notice, useLoad, ViewTitle } from '../ui';
import { NewSecret } from './tenant';

// A tenant admin's own developers (docs/admin-api.md, "Tokens"): the API lets a tenant admin issue, list and revoke
// tenant-developer tokens of its own tenant, and nothing else; the portal offers exactly that.

export function TenantDeveloperTokens() {
  return (
    <>
      <ViewTitle subtitle="Admin tokens for your developers: they read your deployments, usage and receipts, and create and revoke their own API keys. A token is shown once.">
        Developer tokens
      </ViewTitle>
      <TenantGate>{(tenantId) => <DeveloperTokens tenantId={tenantId} />}</TenantGate>
    </>
  );
}

function DeveloperTokens({ tenantId }: { tenantId: string }) {
  const tokens = useLoad(() => listAll<AdminToken>('/tokens'), [tenantId]);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  return (
    <>
      {secret && <NewSecret label="New developer token" value={secret} onDone={() => setSecret(null)} />}
      {message && <Notice tone="success">{message}</Notice>}
      <Load state={tokens} label="Loading developer tokens…">
        {(all) => {
          const mine = all.filter((t) => t.role === 'tenant-developer' && t.tenant_id === tenantId);
          return mine.length === 0 ? (
            <Empty>No developer tokens yet.</Empty>
          ) : (
            <div class="table-wrap" tabIndex={0}>
              <table class="developer-tokens">
                <caption>Developer tokens of this tenant, oldest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Id</th>
                    <th scope="col">Prefix</th>
                    <th scope="col">Created</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {mine.map((t) => (
                    <tr key={t.id} data-token={t.id}>
                      <td>{t.name}</td>
                      <td>
                        <code>{t.id}</code>
                      </td>
                      <td>
                        <code>{t.prefix}</code>
                      </td>
                      <td>
                        {formatTime(t.created_at)} by <Actor id={t.created_by} name={t.created_by_name} />
                      </td>
                      <td>
                        {t.revoked_at ? (
                          `revoked ${formatTime(t.revoked_at)}`
                        ) : (
                          <ConfirmButton
                            label={`Revoke ${t.name}`}
                            confirmLabel={`Revoke ${t.name} now`}
                            consequence="The developer is signed out of the portal and the admin API at once; API keys it created keep working until you revoke them."
                            onConfirm={async () => {
                              await post(`/tokens/${t.id}/revoke`);
                              setMessage(`${t.name} is revoked.`);
                              tokens.reload();
                            }}
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Load>
      <form
        class="inline-form"
        aria-label="New developer token"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            const created = await post<AdminToken & { token: string }>('/tokens', { role: 'tenant-developer', name: name.trim(), tenant_id: tenantId });
            setSecret(created.token);
            setMessage(null);
            setName('');
            tokens.reload();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Field label="Developer's name" value={name} onInput={setName} required />
        <button type="submit">Create developer token</button>
      </form>
      {error !== undefined && <ErrorBox error={error} />}
    </>
  );
}
