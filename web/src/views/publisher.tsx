import { useState } from 'preact/hooks';
import { ApiError, admin, get, getOptional, isMissingEndpoint, listAll, post, type Acceptance, type Offer, type Prices, type Publisher, type TermsDocument } from '../api';
import { PublisherGate } from '../scope';
import { roleCan, useSession } from '../session';
import { Actor, currentPeriod, download, Empty, ErrorBox, Field, formatNumber, formatTime, Load, Notice, shortHash, useId, useLoad, ViewTitle } from '../ui';
import { PriceTable } from './tenant';

export function PublisherOffers() {
  return (
    <>
      <ViewTitle subtitle="Your offers as tenants see them: prices, models and the terms versions they accept; your revenue and settlement; and the share export of your customers' data.">
        Offers & terms
      </ViewTitle>
      <PublisherGate>{(publisherId) => <PublisherHome publisherId={publisherId} />}</PublisherGate>
    </>
  );
}

function PublisherHome({ publisherId }: { publisherId: string }) {
  const { me } = useSession();
  const state = useLoad(
    () => Promise.all([get<Publisher>(`/publishers/${publisherId}`), listAll<Offer>(`/offers?publisher_id=${encodeURIComponent(publisherId)}`)]),
    [publisherId],
  );
  const manage = roleCan.managePublisher(me.role);
  return (
    <Load state={state} label="Loading your offers…">
      {([publisher, offers]) => (
        <>
          <section class="card" aria-labelledby="publisher-h">
            <h2 id="publisher-h">
              {publisher.name} <code class="id">{publisher.id}</code>
            </h2>
            <dl class="facts">
              <dt>Contact</dt>
              <dd>{publisher.contact_email}</dd>
              <dt>Endpoints</dt>
              <dd>
                {publisher.endpoints.length === 0
                  ? 'none declared (publisher-hosted requests use the built-in simulator)'
                  : publisher.endpoints.map((e) => `${e.url} (location: ${e.declared_location})`).join(' · ')}
              </dd>
            </dl>
          </section>
          {offers.length === 0 && <Empty>This publisher has no offers yet.</Empty>}
          {offers.map((offer) => (
            <PublisherOffer key={offer.id} offer={offer} manage={manage} onChanged={state.reload} />
          ))}
          <Settlement publisherId={publisherId} />
          <ShareExport publisherId={publisherId} />
        </>
      )}
    </Load>
  );
}

function PublisherOffer({ offer, manage, onChanged }: { offer: Offer; manage: boolean; onChanged: () => void }) {
  const headingId = useId('offer');
  const terms = useLoad(() => listAll<TermsDocument>(`/offers/${offer.id}/terms`), [offer.id, offer.terms.version]);
  const acceptances = useLoad(() => listAll<Acceptance>(`/offers/${offer.id}/acceptances`), [offer.id, offer.terms.version]);
  const acceptedOf = (version: number) => acceptances.data?.filter((a) => a.terms_version === version).length;
  return (
    <article class="card offer" aria-labelledby={headingId} data-offer={offer.id}>
      <header class="card-head">
        <h2 id={headingId}>{offer.name}</h2>
        <span class="badge">version {offer.version}</span>
      </header>
      <dl class="facts">
        <dt>Models</dt>
        <dd>{offer.models.map((m) => `${m.display_name} (${m.model_id})`).join(', ')}</dd>
        <dt>Hosting</dt>
        <dd>
          {offer.hosting_options.join(', ')}
          {offer.deployment_types.length > 0 && ` · types ${offer.deployment_types.join(', ')}`}
        </dd>
      </dl>
      <PriceTable offer={offer} />
      {manage && <PriceEditor offer={offer} onSaved={onChanged} />}
      <h3>Terms versions</h3>
      <Load state={terms} label="Loading terms versions…">
        {(list) => (
          <ul class="terms-list">
            {list.map((t) => (
              <li key={t.version}>
                <details>
                  <summary>
                    Version {t.version} · effective {formatTime(t.effective_at)} · sha256 <code title={t.sha256}>{shortHash(t.sha256)}</code>
                    {t.version === offer.terms.version && <span class="badge ok">current</span>}
                    {acceptedOf(t.version) !== undefined && (
                      <span class="hint" data-accepted={t.version}>
                        {' '}
                        · accepted {acceptedOf(t.version) === 1 ? 'once' : `${acceptedOf(t.version)} times`}
                      </span>
                    )}
                  </summary>
                  <pre class="terms-text" tabIndex={0}>
                    {t.text}
                  </pre>
                </details>
              </li>
            ))}
          </ul>
        )}
      </Load>
      {manage && <PublishTerms offer={offer} onPublished={onChanged} />}
      <h3>Who accepted which terms</h3>
      <Load state={acceptances} label="Loading acceptances…">
        {(list) =>
          list.length === 0 ? (
            <Empty>No tenant has accepted these terms yet.</Empty>
          ) : (
            <div class="table-wrap" tabIndex={0}>
              <table class="acceptances">
                <caption>Acceptances of this offer's terms, oldest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Tenant</th>
                    <th scope="col">Terms version</th>
                    <th scope="col">Text (sha256)</th>
                    <th scope="col">Accepted by</th>
                    <th scope="col">At</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <tr key={a.id} data-tenant={a.tenant_id} data-version={a.terms_version}>
                      <td>
                        <code>{a.tenant_id}</code>
                      </td>
                      <td>{a.terms_version}</td>
                      <td>
                        <code title={a.sha256}>{shortHash(a.sha256)}</code>
                      </td>
                      <td>
                        <Actor id={a.accepted_by} name={a.accepted_by_name} />
                      </td>
                      <td>{formatTime(a.accepted_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Load>
    </article>
  );
}

const priceFields: [keyof Prices, string][] = [
  ['input', 'Input'],
  ['output', 'Output'],
  ['cache_write', 'Cache write'],
  ['cache_read', 'Cache read'],
];

function PriceEditor({ offer, onSaved }: { offer: Offer; onSaved: () => void }) {
  const [open, setOpen] = useState(false);
  const [prices, setPrices] = useState<Prices>(offer.prices);
  const [confirming, setConfirming] = useState<Partial<Prices> | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | Error | undefined>();
  const formId = useId('prices');
  const save = async (changed: Partial<Prices>) => {
    setError(undefined);
    try {
      // If-Match: a price change made by someone else since this page loaded is not silently overwritten.
      const updated = await admin<Offer>('PATCH', `/offers/${offer.id}`, { body: { prices: changed }, ifMatch: `"${offer.version}"` });
      setConfirming(null);
      setOpen(false);
      setSaved(`Prices saved as offer version ${updated.version}: new subscribers pay them now; existing subscribers when their notice ends or they accept.`);
      onSaved();
    } catch (err) {
      setConfirming(null);
      setError(err instanceof ApiError && err.status === 412 ? new Error('The offer changed since this page loaded; reload and try again.') : (err as Error));
    }
  };
  return (
    <div class="toolbar">
      <button type="button" class="secondary" aria-expanded={open} aria-controls={formId} onClick={() => setOpen(!open)}>
        Change prices
      </button>
      {saved && !open && (
        <Notice tone="success">
          <span data-field="prices-saved">{saved}</span>
        </Notice>
      )}
      {open && (
        <form
          id={formId}
          class="panel"
          aria-label={`Prices of ${offer.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            setError(undefined);
            const changed: Partial<Prices> = Object.fromEntries(priceFields.filter(([k]) => prices[k] !== offer.prices[k]).map(([k]) => [k, prices[k]]));
            if (Object.keys(changed).length === 0) {
              setError(new Error('No price differs from the current ones.'));
              return;
            }
            setConfirming(changed);
          }}
        >
          <p class="hint">USD per million tokens, decimal with at most 6 decimals (e.g. 3.00).</p>
          <div class="form-row">
            {priceFields.map(([key, label]) => (
              <Field
                key={key}
                label={label}
                value={prices[key]}
                inputMode="decimal"
                onInput={(v) => {
                  setConfirming(null);
                  setPrices({ ...prices, [key]: v });
                }}
                error={error instanceof ApiError ? error.field(`prices.${key}`) : undefined}
              />
            ))}
          </div>
          {error && !(error instanceof ApiError && Object.keys(error.errors).some((k) => k.startsWith('prices.'))) && <ErrorBox error={error} />}
          {confirming ? (
            <div class="confirm-change" role="group" aria-label="Confirm the price change">
              <Notice tone="warning">
                {priceFields
                  .filter(([k]) => confirming[k] !== undefined)
                  .map(([k, label]) => `${label}: $${offer.prices[k]} → $${confirming[k]}`)
                  .join(' · ')}
                . New subscribers pay the new prices from now. Existing subscribers keep the prices they accepted until the operator's notice period
                ends — each sees the change and its date on its subscription — or until they accept sooner.
              </Notice>
              <div class="actions">
                <button type="button" class="danger" onClick={() => save(confirming)}>
                  Confirm new prices
                </button>
                <button type="button" class="secondary" onClick={() => setConfirming(null)}>
                  Back
                </button>
              </div>
            </div>
          ) : (
            <div class="actions">
              <button type="submit">Save prices</button>
            </div>
          )}
        </form>
      )}
    </div>
  );
}

function PublishTerms({ offer, onPublished }: { offer: Offer; onPublished: () => void }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [effective, setEffective] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [published, setPublished] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | Error | undefined>();
  const formId = useId('terms');
  const next = Math.max(offer.terms.version, ...(offer.scheduled_terms ?? []).map((t) => t.version)) + 1;
  const effectiveAt = effective ? `${effective}T00:00:00Z` : undefined;
  const when = effectiveAt ? `on ${formatTime(effectiveAt)}` : 'as soon as it is published';
  return (
    <div class="toolbar">
      <button type="button" class="secondary" aria-expanded={open} aria-controls={formId} onClick={() => setOpen(!open)}>
        Publish a new terms version
      </button>
      {published && !open && <Notice tone="success">{published}</Notice>}
      {open && (
        <form
          id={formId}
          class="panel"
          aria-label={`New terms version of ${offer.name}`}
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            if (!confirming) {
              setConfirming(true);
              return;
            }
            try {
              await post(`/offers/${offer.id}/terms`, { text, effective_at: effectiveAt });
              setText('');
              setEffective('');
              setConfirming(false);
              setOpen(false);
              setPublished(`Version ${next} is published and takes effect ${when}.`);
              onPublished();
            } catch (err) {
              setConfirming(false);
              setError(err as Error);
            }
          }}
        >
          <Field label={`Terms text, version ${next}`} value={text} onInput={setText} multiline required error={error instanceof ApiError ? error.field('text') : undefined} />
          <Field
            label="Takes effect on (UTC; blank: at once)"
            type="date"
            value={effective}
            onInput={(v) => {
              setConfirming(false);
              setEffective(v);
            }}
            error={error instanceof ApiError ? error.field('effective_at') : undefined}
          />
          {error && !(error instanceof ApiError && (error.field('text') || error.field('effective_at'))) && <ErrorBox error={error} />}
          {confirming && (
            <Notice tone="warning">
              Version {next} takes effect {when}. From then on new deployments need each tenant to accept it first; existing deployments keep running.
              A version cannot be withdrawn or backdated once published.
            </Notice>
          )}
          <div class="actions">
            <button type="submit" class={confirming ? 'danger' : undefined}>
              {confirming ? `Confirm: publish version ${next}` : `Publish version ${next}…`}
            </button>
            {confirming && (
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                Back
              </button>
            )}
          </div>
        </form>
      )}
    </div>
  );
}

function ShareExport({ publisherId }: { publisherId: string }) {
  const [period, setPeriod] = useState(currentPeriod());
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'busy' } | { kind: 'missing' } | { kind: 'done'; bytes: number } | { kind: 'error'; error: unknown }>({
    kind: 'idle',
  });
  const periodId = useId('share-period');
  return (
    <section class="card" aria-labelledby="share-h">
      <h2 id="share-h">Share export</h2>
      <p class="subtitle">Your customers' contact, transaction and usage records for a period — never prompts or outputs.</p>
      <form
        class="inline-form"
        aria-label="Download the share export"
        onSubmit={async (e) => {
          e.preventDefault();
          setState({ kind: 'busy' });
          try {
            const exported = await get<unknown>(`/publishers/${publisherId}/share?period=${encodeURIComponent(period)}`);
            const textValue = JSON.stringify(exported, null, 2);
            download(`share-${publisherId}-${period}.json`, textValue);
            setState({ kind: 'done', bytes: textValue.length });
          } catch (err) {
            setState(isMissingEndpoint(err) ? { kind: 'missing' } : { kind: 'error', error: err });
          }
        }}
      >
        <div class="field">
          <label for={periodId}>Period</label>
          <input id={periodId} type="month" value={period} onChange={(e) => e.currentTarget.value && setPeriod(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={state.kind === 'busy'}>
          Download share export
        </button>
      </form>
      {state.kind === 'missing' && <Notice>The share export is not available on this gateway yet (its metering and billing API is not installed).</Notice>}
      {state.kind === 'done' && <Notice tone="success">Downloaded the export for {period} ({state.bytes.toLocaleString('en-US')} bytes).</Notice>}
      {state.kind === 'error' && <ErrorBox error={state.error} />}
    </section>
  );
}

interface SettlementLine {
  offer_id: string;
  customers: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  revenue: string;
  fee_percent: string;
  fee: string;
  payout: string;
}

interface SettlementStatement {
  publisher_id: string;
  period: string;
  currency: string;
  offers: SettlementLine[];
  revenue: string;
  fee: string;
  payout: string;
}

/** Revenue and settlement for a month, per offer: what customers paid, the marketplace fee, and the payout. */
function Settlement({ publisherId }: { publisherId: string }) {
  const [period, setPeriod] = useState(currentPeriod());
  const statement = useLoad(() => getOptional<SettlementStatement>(`/publishers/${publisherId}/settlement?period=${encodeURIComponent(period)}`), [publisherId, period]);
  const periodId = useId('settlement-period');
  return (
    <section class="card settlement" aria-labelledby="settlement-h">
      <h2 id="settlement-h">Revenue and settlement</h2>
      <div class="field">
        <label for={periodId}>Period</label>
        <input id={periodId} type="month" value={period} onChange={(e) => e.currentTarget.value && setPeriod(e.currentTarget.value)} />
      </div>
      <Load state={statement} label="Loading the settlement…">
        {(s) =>
          s === null ? (
            <Notice>Settlement is not available on this gateway (its metering and billing API is not installed).</Notice>
          ) : s.offers.length === 0 ? (
            <Empty>No usage of your offers in {period}.</Empty>
          ) : (
            <div class="table-wrap" tabIndex={0}>
              <table class="settlement">
                <caption>
                  {s.period}, {s.currency}: revenue {s.revenue}, marketplace fee {s.fee}, payout <strong data-field="payout">{s.payout}</strong>
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Offer</th>
                    <th scope="col">Customers</th>
                    <th scope="col">Tokens in / out</th>
                    <th scope="col">Revenue</th>
                    <th scope="col">Fee</th>
                    <th scope="col">Payout</th>
                  </tr>
                </thead>
                <tbody>
                  {s.offers.map((o) => (
                    <tr key={o.offer_id} data-offer={o.offer_id}>
                      <td>
                        <code>{o.offer_id}</code>
                      </td>
                      <td data-field="customers">{formatNumber(o.customers)}</td>
                      <td>
                        {formatNumber(o.input_tokens + o.cache_creation_input_tokens + o.cache_read_input_tokens)} / {formatNumber(o.output_tokens)}
                      </td>
                      <td data-field="revenue">{o.revenue}</td>
                      <td>
                        {o.fee} ({o.fee_percent} %)
                      </td>
                      <td data-field="payout">{o.payout}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Load>
    </section>
  );
}
