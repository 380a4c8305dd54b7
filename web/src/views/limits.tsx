import { useState } from 'preact/hooks';
import { admin, get, type Deployment } from '../api';
import { roleCan, useSession } from '../session';
import { ErrorBox, Field, formatNumber, Load, Notice, useLoad } from '../ui';
import type { TenantEstate } from './tenant';

export interface Limits {
  scope: 'tenant' | 'deployment' | 'key';
  scope_id: string;
  rpm: number | null;
  input_tpm: number | null;
  output_tpm: number | null;
  monthly_budget_usd: string | null;
  effective?: { rpm: number | null; input_tpm: number | null; output_tpm: number | null };
  spent_this_month_usd?: string;
  version: number;
}

/** Blank means "not set" (null to the API); anything else must be a whole number. */
function quota(text: string, what: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') {
    return null;
  }
  if (!/^\d+$/.test(trimmed)) {
    throw new Error(`${what}: "${trimmed}" is not a whole number; leave it blank for no quota of your own.`);
  }
  return Number(trimmed);
}
const shown = (value: number | string | null | undefined) => (value === null || value === undefined ? '' : String(value));

/** The tenant's monthly budget and each deployment's quotas: what applies now, and (for a tenant admin) a form to change them. */
export function TenantLimits({ tenantId, estate }: { tenantId: string; estate: TenantEstate | undefined }) {
  const { me } = useSession();
  const manage = roleCan.manageTenant(me.role);
  const deployments = estate ? [...estate.deployments.values()].flat() : [];
  const tenant = useLoad(() => get<Limits>(`/tenants/${tenantId}/limits`), [tenantId]);
  return (
    <>
      <Load state={tenant} label="Loading the budget…">
        {(limits) => <BudgetForm tenantId={tenantId} limits={limits} manage={manage} onSaved={tenant.reload} />}
      </Load>
      {deployments.length > 0 && (
        <div class="table-wrap" tabIndex={0}>
          <table class="limits">
            <caption>Quotas per deployment (per minute). Blank: none of your own; the deployment's capacity applies.</caption>
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Requests</th>
                <th scope="col">Input tokens</th>
                <th scope="col">Output tokens</th>
                <th scope="col">In effect</th>
                {manage && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {deployments.map((d) => (
                <DeploymentLimitsRow key={d.id} deployment={d} manage={manage} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function BudgetForm({ tenantId, limits, manage, onSaved }: { tenantId: string; limits: Limits; manage: boolean; onSaved: () => void }) {
  const [budget, setBudget] = useState(shown(limits.monthly_budget_usd));
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState(false);
  const spent = limits.spent_this_month_usd ?? '0';
  const over = limits.monthly_budget_usd !== null && Number(spent) >= Number(limits.monthly_budget_usd);
  return (
    <div class="budget" data-budget={limits.monthly_budget_usd ?? 'none'}>
      <p>
        Spent this month: <strong data-field="spent">${spent}</strong>
        {limits.monthly_budget_usd === null ? ' · no monthly budget' : ` of a $${limits.monthly_budget_usd} monthly budget`}
      </p>
      {over && <Notice tone="warning">The budget is used up: requests are refused (429) until next month or until it is raised.</Notice>}
      {manage && (
        <form
          class="inline-form"
          aria-label="Monthly budget"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            setSaved(false);
            try {
              await admin('PUT', `/tenants/${tenantId}/limits`, { body: { monthly_budget_usd: budget.trim() === '' ? null : budget.trim() } });
              setSaved(true);
              onSaved();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <Field label="Monthly budget, USD (blank: none)" value={budget} onInput={setBudget} inputMode="decimal" />
          <button type="submit">Save budget</button>
        </form>
      )}
      {saved && <Notice tone="success">Budget saved; it applies from the next request on every node.</Notice>}
      {error !== undefined && <ErrorBox error={error} />}
    </div>
  );
}

function DeploymentLimitsRow({ deployment: d, manage }: { deployment: Deployment; manage: boolean }) {
  const state = useLoad(() => get<Limits>(`/deployments/${d.id}/limits`), [d.id]);
  const [draft, setDraft] = useState<{ rpm: string; input: string; output: string } | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const limits = state.data;
  if (!limits) {
    return (
      <tr data-deployment={d.name}>
        <th scope="row">{d.name}</th>
        <td colSpan={manage ? 5 : 4}>{state.error !== undefined ? <ErrorBox error={state.error} /> : 'Loading…'}</td>
      </tr>
    );
  }
  const effective = limits.effective;
  return (
    <tr data-deployment={d.name}>
      <th scope="row">{d.name}</th>
      {draft === null ? (
        <>
          <td data-field="rpm">{limits.rpm === null ? '—' : formatNumber(limits.rpm)}</td>
          <td data-field="input_tpm">{limits.input_tpm === null ? '—' : formatNumber(limits.input_tpm)}</td>
          <td data-field="output_tpm">{limits.output_tpm === null ? '—' : formatNumber(limits.output_tpm)}</td>
        </>
      ) : (
        <>
          <td>
            <Field label={`Requests per minute for ${d.name}`} value={draft.rpm} onInput={(rpm) => setDraft({ ...draft, rpm })} inputMode="numeric" />
          </td>
          <td>
            <Field label={`Input tokens per minute for ${d.name}`} value={draft.input} onInput={(input) => setDraft({ ...draft, input })} inputMode="numeric" />
          </td>
          <td>
            <Field label={`Output tokens per minute for ${d.name}`} value={draft.output} onInput={(output) => setDraft({ ...draft, output })} inputMode="numeric" />
          </td>
        </>
      )}
      <td data-field="effective">
        {effective
          ? `${formatNumber(effective.rpm ?? d.capacity.rpm)} requests · ${effective.input_tpm === null ? '—' : formatNumber(effective.input_tpm)} in · ${effective.output_tpm === null ? '—' : formatNumber(effective.output_tpm)} out`
          : `${formatNumber(d.capacity.rpm)} requests (capacity)`}
        {error !== undefined && <ErrorBox error={error} />}
      </td>
      {manage && (
        <td>
          {draft === null ? (
            <button type="button" class="secondary" onClick={() => setDraft({ rpm: shown(limits.rpm), input: shown(limits.input_tpm), output: shown(limits.output_tpm) })}>
              Change
            </button>
          ) : (
            <span class="actions">
              <button
                type="button"
                onClick={async () => {
                  setError(undefined);
                  try {
                    await admin('PUT', `/deployments/${d.id}/limits`, {
                      body: {
                        rpm: quota(draft.rpm, 'Requests per minute'),
                        input_tpm: quota(draft.input, 'Input tokens per minute'),
                        output_tpm: quota(draft.output, 'Output tokens per minute'),
                        monthly_budget_usd: limits.monthly_budget_usd,
                      },
                    });
                    setDraft(null);
                    state.reload();
                  } catch (err) {
                    setError(err);
                  }
                }}
              >
                Save
              </button>
              <button type="button" class="secondary" onClick={() => (setDraft(null), setError(undefined))}>
                Cancel
              </button>
            </span>
          )}
        </td>
      )}
    </tr>
  );
}
