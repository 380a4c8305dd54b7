import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  admin,
  errorMessage,
  get,
  listAll,
  post,
  type ApiKey,
  type Deployment,
  type DeploymentType,
  type HostingOption,
  type Offer,
  type Page,
  type Resource,
  type Subscription,
  type TermsDocument,
  type World,
} from '../api';
import { BoundaryPicture, findRegion } from '../boundary';
import { Link } from '../router';
import { TenantGate } from '../scope';
import { roleCan, useSession } from '../session';
import { CallSnippets } from '../snippets';
import { Actor, ConfirmButton, Empty, ErrorBox, Field, formatNumber, formatTime, Load, Notice, Select, shortHash, useId, useLoad, ViewTitle } from '../ui';

const typeLabels: Record<DeploymentType, string> = { global: 'Global', datazone: 'Data zone', regional: 'Regional' };

export function hostingLabel(d: { hosting_option: HostingOption; deployment_type: DeploymentType | null }): string {
  return d.hosting_option === 'publisher' ? 'Publisher-hosted' : `Platform · ${d.deployment_type ? typeLabels[d.deployment_type] : '?'}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Catalogue: offers with prices and terms; subscribing is accepting the current terms version.
// ---------------------------------------------------------------------------------------------------------------

export function TenantCatalogue() {
  return (
    <>
      <ViewTitle subtitle="The offers on this marketplace with their prices and terms. Subscribing means accepting an offer's current terms version.">
        Catalogue
      </ViewTitle>
      <TenantGate>{(tenantId) => <Catalogue tenantId={tenantId} />}</TenantGate>
    </>
  );
}

function Catalogue({ tenantId }: { tenantId: string }) {
  const { me } = useSession();
  const state = useLoad(() => Promise.all([listAll<Offer>('/offers'), listAll<Subscription>(`/tenants/${tenantId}/subscriptions`)]), [tenantId]);
  return (
    <Load state={state} label="Loading the catalogue…">
      {([offers, subscriptions]) =>
        offers.length === 0 ? (
          <Empty>No offers are published yet.</Empty>
        ) : (
          <div class="cards">
            {offers.map((offer) => (
              <OfferCard
                key={offer.id}
                offer={offer}
                tenantId={tenantId}
                subscription={subscriptions.find((s) => s.offer_id === offer.id)}
                canSubscribe={roleCan.manageTenant(me.role)}
                onSubscribed={state.reload}
              />
            ))}
          </div>
        )
      }
    </Load>
  );
}

export function PriceTable({ offer }: { offer: Offer }) {
  return (
    <div class="table-wrap" tabIndex={0}>
    <table class="prices">
      <caption>Prices, USD per million tokens</caption>
      <thead>
        <tr>
          <th scope="col">Input</th>
          <th scope="col">Output</th>
          <th scope="col">Cache write</th>
          <th scope="col">Cache read</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td>${offer.prices.input}</td>
          <td>${offer.prices.output}</td>
          <td>${offer.prices.cache_write}</td>
          <td>${offer.prices.cache_read}</td>
        </tr>
      </tbody>
    </table>
    </div>
  );
}

function OfferCard(props: { offer: Offer; tenantId: string; subscription: Subscription | undefined; canSubscribe: boolean; onSubscribed: () => void }) {
  const { offer, subscription } = props;
  const current = subscription && subscription.terms_version === offer.terms.version;
  const headingId = useId('offer');
  return (
    <article class="card offer" aria-labelledby={headingId} data-offer={offer.id}>
      <header class="card-head">
        <h2 id={headingId}>{offer.name}</h2>
        <span class={`badge ${current ? 'ok' : subscription ? 'warn' : ''}`} data-subscription-state={current ? 'current' : subscription ? 'outdated' : 'none'}>
          {current ? `Subscribed · terms v${subscription.terms_version}` : subscription ? `Terms v${offer.terms.version} not yet accepted` : 'Not subscribed'}
        </span>
      </header>
      <dl class="facts">
        <dt>Offer</dt>
        <dd>
          <code>{offer.id}</code> by <code>{offer.publisher_id}</code>
        </dd>
        <dt>Hosting</dt>
        <dd>
          {offer.hosting_options
            .map((h) => (h === 'platform' ? `Platform (${offer.deployment_types.map((t) => typeLabels[t]).join(', ')})` : 'Publisher-hosted'))
            .join(' · ')}
        </dd>
        <dt>Models</dt>
        <dd>
          {offer.models.map((m, i) => (
            <span key={m.model_id}>
              {i > 0 && ', '}
              {m.display_name} <code>{m.model_id}</code> ({formatNumber(m.context_window)} context)
            </span>
          ))}
        </dd>
        <dt>Terms</dt>
        <dd>
          version {offer.terms.version}, effective {formatTime(offer.terms.effective_at)}, sha256 <code title={offer.terms.sha256}>{shortHash(offer.terms.sha256)}</code>
        </dd>
        {subscription && (
          <>
            <dt>Accepted</dt>
            <dd>
              version {subscription.terms_version} by <Actor id={subscription.accepted_by} name={subscription.accepted_by_name} /> at {formatTime(subscription.accepted_at)}
              <AcceptedTerms offer={offer} version={subscription.terms_version} />
            </dd>
          </>
        )}
      </dl>
      <PriceTable offer={offer} />
      {props.canSubscribe && !current && <SubscribeFlow offer={offer} tenantId={props.tenantId} renewing={!!subscription} onSubscribed={props.onSubscribed} />}
    </article>
  );
}

/** The text of the terms version the tenant accepted, loaded when asked for: what binds it, word for word. */
function AcceptedTerms({ offer, version }: { offer: Offer; version: number }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="accepted-terms" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Read the terms you accepted</summary>
      {open && <AcceptedTermsText offer={offer} version={version} />}
    </details>
  );
}

function AcceptedTermsText({ offer, version }: { offer: Offer; version: number }) {
  const terms = useLoad(() => listAll<TermsDocument>(`/offers/${offer.id}/terms`).then((all) => all.find((t) => t.version === version) ?? null), [offer.id, version]);
  return (
    <Load state={terms} label="Loading the accepted terms…">
      {(doc) =>
        doc === null ? (
          <ErrorBox>Terms version {version} of this offer is no longer listed.</ErrorBox>
        ) : (
          <>
            <p class="hint">
              Version {doc.version}, effective {formatTime(doc.effective_at)} · sha256 <code>{doc.sha256}</code>
            </p>
            <pre class="terms-text" tabIndex={0} aria-label={`Text of accepted terms version ${doc.version}`}>
              {doc.text}
            </pre>
          </>
        )
      }
    </Load>
  );
}

function SubscribeFlow({ offer, tenantId, renewing, onSubscribed }: { offer: Offer; tenantId: string; renewing: boolean; onSubscribed: () => void }) {
  const [open, setOpen] = useState(false);
  const regionId = useId('terms');
  const label = renewing ? `Review and accept terms version ${offer.terms.version}` : `Review terms and subscribe to ${offer.name}`;
  return (
    <div class="subscribe">
      <button type="button" aria-expanded={open} aria-controls={regionId} onClick={() => setOpen(!open)}>
        {label}
      </button>
      {open && (
        <div id={regionId} class="terms-step">
          <TermsStep offer={offer} tenantId={tenantId} onSubscribed={onSubscribed} />
        </div>
      )}
    </div>
  );
}

/** The newest terms text, an explicit acceptance of exactly that version, then the subscription. */
function TermsStep({ offer, tenantId, onSubscribed }: { offer: Offer; tenantId: string; onSubscribed: () => void }) {
  const [accepted, setAccepted] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const terms = useLoad(() => get<Page<TermsDocument>>(`/offers/${offer.id}/terms?limit=1`).then((p) => p.data[0] ?? null), [offer.id]);
  return (
    <Load state={terms} label="Loading the terms…">
      {(doc) =>
        !doc ? (
          <ErrorBox>This offer has no terms document.</ErrorBox>
        ) : (
          <form
            aria-label={`Accept the terms of ${offer.name}`}
            onSubmit={async (e) => {
              e.preventDefault();
              setBusy(true);
              setError(undefined);
              try {
                await post<Subscription>(`/tenants/${tenantId}/subscriptions`, { offer_id: offer.id, accept_terms_version: doc.version });
                onSubscribed();
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}
          >
            <h3>
              Terms of {offer.name}, version {doc.version}
            </h3>
            <p class="hint">
              Effective {formatTime(doc.effective_at)} · sha256 <code>{doc.sha256}</code>
            </p>
            <pre class="terms-text" tabIndex={0} aria-label={`Text of terms version ${doc.version}`}>
              {doc.text}
            </pre>
            <label class="check">
              <input type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.currentTarget.checked)} />I have read and accept the terms of{' '}
              {offer.name}, version {doc.version}
            </label>
            {error !== undefined && <ErrorBox error={error} />}
            <button type="submit" disabled={!accepted || busy}>
              {busy ? 'Subscribing…' : `Accept terms v${doc.version} and subscribe`}
            </button>
          </form>
        )
      }
    </Load>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Resources and deployments, with the boundary picture.
// ---------------------------------------------------------------------------------------------------------------

export interface TenantEstate {
  world: World;
  resources: Resource[];
  deployments: Map<string, Deployment[]>;
}

export async function loadEstate(tenantId: string): Promise<TenantEstate> {
  const [world, resources] = await Promise.all([get<World>('/world'), listAll<Resource>(`/tenants/${tenantId}/resources`)]);
  const lists = await Promise.all(resources.map((r) => listAll<Deployment>(`/resources/${r.id}/deployments`)));
  return { world, resources, deployments: new Map(resources.map((r, i) => [r.id, lists[i]])) };
}

export function TenantDeployments() {
  return (
    <>
      <ViewTitle subtitle="Each resource sits in one region; its deployments decide where requests may be processed. Receipts and records rest in the resource's geography.">
        Resources & deployments
      </ViewTitle>
      <TenantGate>{(tenantId) => <Deployments tenantId={tenantId} />}</TenantGate>
    </>
  );
}

function Deployments({ tenantId }: { tenantId: string }) {
  const { me } = useSession();
  const manage = roleCan.manageTenant(me.role);
  const estate = useLoad(
    () => Promise.all([loadEstate(tenantId), listAll<Offer>('/offers'), listAll<Subscription>(`/tenants/${tenantId}/subscriptions`)]),
    [tenantId],
  );
  const [message, setMessage] = useState<string | null>(null);
  return (
    <Load state={estate} label="Loading resources and deployments…">
      {([{ world, resources, deployments }, offers, subscriptions]) => (
        <>
          {message && <Notice tone="success">{message}</Notice>}
          {manage && (
            <NewResource
              world={world}
              tenantId={tenantId}
              onCreated={(r) => {
                setMessage(`Resource ${r.name} created in region ${r.region} (data zone ${r.data_zone ?? 'none'}, geography ${r.geography}).`);
                estate.reload();
              }}
            />
          )}
          {resources.length === 0 && <Empty>No resources yet.{manage ? ' Create one to deploy models into it.' : ''}</Empty>}
          {resources.map((resource) => (
            <ResourceSection
              key={resource.id}
              resource={resource}
              world={world}
              deployments={deployments.get(resource.id) ?? []}
              offers={offers}
              subscriptions={subscriptions}
              manage={manage}
              onChanged={(text) => {
                setMessage(text);
                estate.reload();
              }}
            />
          ))}
        </>
      )}
    </Load>
  );
}

function regionLabel(world: World, region: string): string {
  const place = findRegion(world, region);
  return place ? `${place.display} (${place.name}) · data zone ${place.zone ?? 'none'} · geography ${place.geography}` : region;
}

function NewResource({ world, tenantId, onCreated }: { world: World; tenantId: string; onCreated: (r: Resource) => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [region, setRegion] = useState('');
  const [error, setError] = useState<ApiError | Error | undefined>();
  const formId = useId('new-resource');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const created = await post<Resource>(`/tenants/${tenantId}/resources`, { name, region });
      setOpen(false);
      setName('');
      onCreated(created);
    } catch (err) {
      setError(err as Error);
    }
  };
  const fieldError = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  return (
    <div class="toolbar">
      <button type="button" aria-expanded={open} aria-controls={formId} onClick={() => setOpen(!open)}>
        New resource
      </button>
      {open && (
        <form id={formId} class="panel" aria-label="New resource" onSubmit={submit}>
          <Field label="Resource name" value={name} onInput={setName} required error={fieldError('name')} hint="Letters, digits, . _ - (up to 64)." />
          <Select label="Region" value={region} onChange={setRegion} required error={fieldError('region')} hint="Fixes where the resource's data rests: its geography.">
            <option value="">Choose a region…</option>
            {world.geographies.map((g) => (
              <optgroup key={g.name} label={`Geography ${g.name}`}>
                {[...g.data_zones.flatMap((z) => z.regions.map((r) => ({ r, zone: z.name as string | null }))), ...g.regions_without_zone.map((r) => ({ r, zone: null }))].map(
                  ({ r, zone }) => (
                    <option key={r.name} value={r.name}>
                      {r.display_name} ({r.name}) — data zone {zone ?? 'none'}
                    </option>
                  ),
                )}
              </optgroup>
            ))}
          </Select>
          {error && !fieldError('name') && !fieldError('region') && <ErrorBox error={error} />}
          <div class="actions">
            <button type="submit">Create resource</button>
          </div>
        </form>
      )}
    </div>
  );
}

function ResourceSection(props: {
  resource: Resource;
  world: World;
  deployments: Deployment[];
  offers: Offer[];
  subscriptions: Subscription[];
  manage: boolean;
  onChanged: (message: string) => void;
}) {
  const { resource, world } = props;
  const headingId = useId('resource');
  return (
    <section class="resource" aria-labelledby={headingId} data-resource={resource.id}>
      <h2 id={headingId}>
        Resource {resource.name} <code class="id">{resource.id}</code>
      </h2>
      <p class="subtitle">Region {regionLabel(world, resource.region)}</p>
      {props.deployments.length === 0 ? (
        <Empty>No deployments in this resource.</Empty>
      ) : (
        <div class="cards">
          {props.deployments.map((d) => (
            <DeploymentCard
              key={d.id}
              deployment={d}
              world={world}
              offer={props.offers.find((o) => o.id === d.offer_id)}
              manage={props.manage}
              onDeleted={() => props.onChanged(`Deployment ${d.name} deleted; it no longer routes.`)}
            />
          ))}
        </div>
      )}
      {props.manage && (
        <NewDeployment
          resource={resource}
          world={world}
          offers={props.offers}
          subscriptions={props.subscriptions}
          onCreated={(d) => props.onChanged(`Deployment ${d.name} created. Requests may be processed in ${d.processing_boundary}.`)}
        />
      )}
    </section>
  );
}

function DeploymentCard({ deployment: d, world, offer, manage, onDeleted }: { deployment: Deployment; world: World; offer: Offer | undefined; manage: boolean; onDeleted: () => void }) {
  const [error, setError] = useState<unknown>(undefined);
  const headingId = useId('deployment');
  return (
    <article class="card deployment" aria-labelledby={headingId} data-deployment={d.name}>
      <header class="card-head">
        <h3 id={headingId}>{d.name}</h3>
        <span class={`badge ${d.hosting_option === 'publisher' ? 'warn' : 'ok'}`}>{hostingLabel(d)}</span>
      </header>
      <dl class="facts">
        <dt>Call it as</dt>
        <dd>
          <code>"model": "{d.name}"</code>
        </dd>
        <dt>Model</dt>
        <dd>
          {offer?.models.find((m) => m.model_id === d.model_id)?.display_name ?? d.model_id} <code>{d.model_id}</code> from <code>{d.offer_id}</code>
        </dd>
        <dt>Processed in</dt>
        <dd class="processing-boundary">{d.processing_boundary}</dd>
        <dt>Data rests in</dt>
        <dd>geography {d.geography}</dd>
        <dt>Capacity</dt>
        <dd>
          {formatNumber(d.capacity.rpm)} requests/min · {formatNumber(d.capacity.tpm)} tokens/min
        </dd>
        {d.data_may_leave_geography_acknowledgment && (
          <>
            <dt>Acknowledged</dt>
            <dd class="ack-record">
              data may leave geography {d.geography}: acknowledged by{' '}
              <Actor
                id={d.data_may_leave_geography_acknowledgment.acknowledged_by}
                name={d.data_may_leave_geography_acknowledgment.acknowledged_by_name}
              />{' '}
              at{' '}
              {formatTime(d.data_may_leave_geography_acknowledgment.acknowledged_at)}
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          {formatTime(d.created_at)} by <Actor id={d.created_by} name={d.created_by_name} />
        </dd>
      </dl>
      <CallSnippets model={d.name} />
      <BoundaryPicture world={world} choice={{ region: d.region, hosting: d.hosting_option, type: d.deployment_type }} publisherLabel={offer ? `Publisher ${offer.publisher_id}` : undefined} />
      {error !== undefined && <ErrorBox error={error} />}
      {manage && (
        <div class="actions">
          <ConfirmButton
            label="Delete deployment"
            confirmLabel={`Delete ${d.name} now`}
            consequence={`Callers of ${d.name} are refused from their next request; the resource's keys stay for its other deployments, and receipts and usage already recorded stay.`}
            onConfirm={async () => {
              try {
                await admin('DELETE', `/deployments/${d.id}`);
                onDeleted();
              } catch (err) {
                setError(err);
              }
            }}
          />
        </div>
      )}
    </article>
  );
}

function NewDeployment(props: { resource: Resource; world: World; offers: Offer[]; subscriptions: Subscription[]; onCreated: (d: Deployment) => void }) {
  const { resource, world, offers, subscriptions } = props;
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  // Start from an offer the tenant has subscribed to: deploying anything else is refused until its terms are accepted.
  const [offerId, setOfferId] = useState((offers.find((o) => subscriptions.some((s) => s.offer_id === o.id)) ?? offers[0])?.id ?? '');
  const offer = offers.find((o) => o.id === offerId);
  const [modelId, setModelId] = useState(offer?.models[0]?.model_id ?? '');
  const [hosting, setHosting] = useState<HostingOption>(offer?.hosting_options[0] ?? 'platform');
  const [type, setType] = useState<DeploymentType>('datazone');
  const [rpm, setRpm] = useState('');
  const [tpm, setTpm] = useState('');
  const [acknowledged, setAcknowledged] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>();
  const [busy, setBusy] = useState(false);
  const formId = useId('new-deployment');
  const home = findRegion(world, resource.region);
  const zone = home?.zone ?? null;

  useEffect(() => {
    if (!offer) {
      return;
    }
    if (!offer.models.some((m) => m.model_id === modelId)) {
      setModelId(offer.models[0]?.model_id ?? '');
    }
    if (!offer.hosting_options.includes(hosting)) {
      setHosting(offer.hosting_options[0]);
    }
    if (!offer.deployment_types.includes(type) && offer.deployment_types.length > 0) {
      setType(offer.deployment_types.find((t) => t !== 'datazone' || zone) ?? offer.deployment_types[0]);
    }
  }, [offerId]);

  const subscription = subscriptions.find((s) => s.offer_id === offerId);
  const termsOk = !!offer && !!subscription && subscription.terms_version === offer.terms.version;
  const publisher = hosting === 'publisher';
  const fieldError = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  const known = ['name', 'offer_id', 'model_id', 'hosting_option', 'deployment_type', 'acknowledge_data_may_leave_geography', 'capacity.rpm', 'capacity.tpm'];
  const otherErrors = error instanceof ApiError ? Object.keys(error.errors).filter((k) => !known.includes(k)) : [];

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: Record<string, unknown> = { name, offer_id: offerId, model_id: modelId, hosting_option: hosting };
    if (publisher) {
      body.acknowledge_data_may_leave_geography = acknowledged;
    } else {
      body.deployment_type = type;
    }
    if (rpm || tpm) {
      body.capacity = { rpm: rpm ? Number(rpm) : 600, tpm: tpm ? Number(tpm) : 1000000 };
    }
    try {
      const created = await post<Deployment>(`/resources/${resource.id}/deployments`, body);
      setOpen(false);
      setName('');
      setAcknowledged(false);
      props.onCreated(created);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="toolbar">
      <button type="button" aria-expanded={open} aria-controls={formId} onClick={() => setOpen(!open)}>
        New deployment in {resource.name}
      </button>
      {open && (
        <form id={formId} class="panel deploy-form" aria-label={`New deployment in ${resource.name}`} onSubmit={submit}>
          <div class="form-grid">
            <div>
              <Field label="Deployment name" value={name} onInput={setName} required error={fieldError('name')} hint={'Callers send it as "model".'} />
              <Select label="Offer" value={offerId} onChange={setOfferId} error={fieldError('offer_id')}>
                {offers.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name} ({o.id})
                  </option>
                ))}
              </Select>
              {offer && !termsOk && (
                <Notice tone="warning">
                  This tenant has not accepted terms version {offer.terms.version} of {offer.name}: the gateway will refuse the deployment.{' '}
                  <Link href="/tenant/catalogue">Accept the terms in the catalogue</Link>.
                </Notice>
              )}
              <Select label="Model" value={modelId} onChange={setModelId} error={fieldError('model_id')}>
                {offer?.models.map((m) => (
                  <option key={m.model_id} value={m.model_id}>
                    {m.display_name} ({m.model_id})
                  </option>
                ))}
              </Select>
              <fieldset class="choices">
                <legend>Hosting</legend>
                {offer?.hosting_options.map((h) => (
                  <label key={h} class="check">
                    <input type="radio" name={`${formId}-hosting`} value={h} checked={hosting === h} onChange={() => setHosting(h)} />
                    {h === 'platform' ? "Platform: the operator's regions, inside a boundary you choose" : "Publisher-hosted: the publisher's own infrastructure"}
                  </label>
                ))}
                {fieldError('hosting_option') && <p class="field-error">{fieldError('hosting_option')}</p>}
              </fieldset>
              {!publisher && (
                <fieldset class="choices">
                  <legend>Deployment type</legend>
                  {offer?.deployment_types.map((t) => {
                    const disabled = t === 'datazone' && !zone;
                    return (
                      <label key={t} class={`check${disabled ? ' disabled' : ''}`}>
                        <input type="radio" name={`${formId}-type`} value={t} checked={type === t} disabled={disabled} onChange={() => setType(t)} />
                        {t === 'global' && 'Global: any operator region'}
                        {t === 'datazone' && (zone ? `Data zone: the regions of data zone ${zone}` : 'Data zone: not possible, the region has no data zone')}
                        {t === 'regional' && `Regional: region ${resource.region} only`}
                      </label>
                    );
                  })}
                  {fieldError('deployment_type') && <p class="field-error">{fieldError('deployment_type')}</p>}
                </fieldset>
              )}
              <details class="capacity">
                <summary>Capacity (optional)</summary>
                <Field label="Requests per minute" value={rpm} onInput={setRpm} inputMode="numeric" placeholder="600" error={fieldError('capacity.rpm')} />
                <Field label="Tokens per minute" value={tpm} onInput={setTpm} inputMode="numeric" placeholder="1000000" error={fieldError('capacity.tpm')} />
              </details>
            </div>
            <div>
              <h3 class="preview-title">Where requests will go</h3>
              <BoundaryPicture world={world} choice={{ region: resource.region, hosting, type: publisher ? null : type }} publisherLabel={offer ? `Publisher ${offer.publisher_id}` : undefined} />
            </div>
          </div>
          {publisher && (
            <fieldset class="acknowledgment" aria-describedby={`${formId}-ack-text`}>
              <legend>Acknowledgment required</legend>
              <p id={`${formId}-ack-text`}>
                <strong>Publisher-hosted:</strong> requests are processed on the publisher's own infrastructure, not in the operator's regions. Data sent to this
                deployment may be processed <strong>outside geography {resource.geography}</strong> of resource {resource.name}. Receipts still rest in geography{' '}
                {resource.geography}.
              </p>
              <label class="check">
                <input type="checkbox" name="acknowledge_data_may_leave_geography" checked={acknowledged} onChange={(e) => setAcknowledged(e.currentTarget.checked)} />I
                acknowledge that data sent to this deployment may leave geography {resource.geography}
              </label>
              {fieldError('acknowledge_data_may_leave_geography') && <p class="field-error">{fieldError('acknowledge_data_may_leave_geography')}</p>}
            </fieldset>
          )}
          {error && (!(error instanceof ApiError) || Object.keys(error.errors).length === 0 || otherErrors.length > 0) && (
            <ErrorBox>
              {errorMessage(error)}
              {error instanceof ApiError && error.code === 'terms_not_accepted' && (
                <>
                  {' '}
                  <Link href="/tenant/catalogue">Accept the terms in the catalogue</Link>.
                </>
              )}
            </ErrorBox>
          )}
          <div class="actions">
            <button type="submit" disabled={busy || (publisher && !acknowledged)}>
              {busy ? 'Creating…' : publisher ? 'Acknowledge and create deployment' : 'Create deployment'}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Keys: created keys are shown once; revoke is immediate.
// ---------------------------------------------------------------------------------------------------------------

export function TenantKeys() {
  return (
    <>
      <ViewTitle subtitle="API keys call the data plane for one resource. A new key is shown once; Meridian keeps only a hash.">Keys</ViewTitle>
      <TenantGate>{(tenantId) => <Keys tenantId={tenantId} />}</TenantGate>
    </>
  );
}

function Keys({ tenantId }: { tenantId: string }) {
  const state = useLoad(async () => {
    const resources = await listAll<Resource>(`/tenants/${tenantId}/resources`);
    const keys = await Promise.all(resources.map((r) => listAll<ApiKey>(`/resources/${r.id}/keys`)));
    return resources.map((r, i) => ({ resource: r, keys: keys[i] }));
  }, [tenantId]);
  return (
    <Load state={state} label="Loading keys…">
      {(groups) =>
        groups.length === 0 ? (
          <Empty>
            No resources yet. <Link href="/tenant/deployments">Create a resource</Link> first.
          </Empty>
        ) : (
          <>
            {groups.map(({ resource, keys }) => (
              <ResourceKeys key={resource.id} resource={resource} keys={keys} onChanged={state.reload} />
            ))}
          </>
        )
      }
    </Load>
  );
}

function ResourceKeys({ resource, keys, onChanged }: { resource: Resource; keys: ApiKey[]; onChanged: () => void }) {
  const { me } = useSession();
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<{ key: string; prefix: string } | null>(null);
  const [expires, setExpires] = useState('');
  const [rotating, setRotating] = useState<string | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const headingId = useId('keys');
  return (
    <section class="resource" aria-labelledby={headingId} data-resource={resource.id}>
      <h2 id={headingId}>
        Keys of resource {resource.name} <code class="id">{resource.id}</code>
      </h2>
      {secret && <NewSecret label={`New API key for ${resource.name}`} value={secret.key} onDone={() => setSecret(null)} />}
      {keys.length === 0 ? (
        <Empty>No keys{me.role === 'tenant-developer' ? ' created by you' : ''}.</Empty>
      ) : (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <caption class="visually-hidden">Keys of resource {resource.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-key={k.prefix}>
                  <td>{k.name ?? '—'}</td>
                  <td>
                    <code>{k.prefix}</code>
                  </td>
                  <td>
                    <span class={`badge ${k.status === 'active' ? 'ok' : k.status === 'suspended' ? 'bad' : 'muted'}`}>{k.status}</span>
                  </td>
                  <td>
                    {formatTime(k.created_at)} by <Actor id={k.created_by} name={k.created_by_name} />
                  </td>
                  <td data-field="last-used">{k.last_used_at ? formatTime(k.last_used_at) : 'never'}</td>
                  <td>{k.status === 'revoked' ? `revoked ${formatTime(k.revoked_at)}` : formatTime(k.expires_at)}</td>
                  <td>
                    {k.status === 'active' && (
                      <button
                        type="button"
                        class="secondary"
                        aria-expanded={rotating === k.id}
                        onClick={() => setRotating(rotating === k.id ? null : k.id)}
                      >
                        Rotate {k.prefix}…
                      </button>
                    )}{' '}
                    {k.status === 'active' && (
                      <ConfirmButton
                        label="Revoke"
                        confirmLabel={`Revoke ${k.prefix} now`}
                        consequence="Every request with this key is refused (401) from now on, on every node; this cannot be undone."
                        onConfirm={async () => {
                          try {
                            await post(`/keys/${k.id}/revoke`);
                            onChanged();
                          } catch (err) {
                            setError(err);
                          }
                        }}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rotating && keys.some((k) => k.id === rotating) && (
        <RotateKey
          apiKey={keys.find((k) => k.id === rotating)!}
          onCancel={() => setRotating(null)}
          onRotated={(created) => {
            setRotating(null);
            setSecret({ key: created.key, prefix: created.prefix });
            setRotated(
              created.replaces?.expires_at && created.replaces.status === 'active'
                ? `Key ${created.replaces.prefix} keeps working until ${formatTime(created.replaces.expires_at)}; move your callers to ${created.prefix} before then.`
                : `Key ${created.replaces?.prefix ?? ''} stopped working now; ${created.prefix} replaces it.`,
            );
            onChanged();
          }}
        />
      )}
      {rotated && <Notice tone="success">{rotated}</Notice>}
      {error !== undefined && <ErrorBox error={error} />}
      {roleCan.createKeys(me.role) && (
        <form
          class="inline-form"
          aria-label={`Create a key for ${resource.name}`}
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            try {
              const created = await post<ApiKey & { key: string }>(`/resources/${resource.id}/keys`, {
                ...(name.trim() ? { name: name.trim() } : {}),
                ...(expires ? { expires_at: `${expires}T00:00:00Z` } : {}),
              });
              setSecret({ key: created.key, prefix: created.prefix });
              setName('');
              setExpires('');
              onChanged();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <Field label="Key name (optional)" value={name} onInput={setName} />
          <Field label="Expires on (optional, UTC)" type="date" value={expires} onInput={setExpires} />
          <button type="submit">Create key</button>
        </form>
      )}
    </section>
  );
}

const overlaps: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'stops at once' },
  { seconds: 3600, label: 'keeps working for 1 hour' },
  { seconds: 86_400, label: 'keeps working for 24 hours' },
  { seconds: 604_800, label: 'keeps working for 7 days' },
];

/** Rotation with overlap: a new key now, the old one accepted until the overlap ends, so callers move without downtime. */
function RotateKey({ apiKey, onCancel, onRotated }: { apiKey: ApiKey; onCancel: () => void; onRotated: (created: ApiKey & { key: string }) => void }) {
  const [overlap, setOverlap] = useState('86400');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="panel"
      aria-label={`Rotate key ${apiKey.prefix}`}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          onRotated(await post<ApiKey & { key: string }>(`/keys/${apiKey.id}/rotate`, { overlap_seconds: Number(overlap) }));
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Select label={`After rotation, the old key ${apiKey.prefix}`} value={overlap} onChange={setOverlap}>
        {overlaps.map((o) => (
          <option key={o.seconds} value={String(o.seconds)}>
            {o.label}
          </option>
        ))}
      </Select>
      {error !== undefined && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Rotating…' : `Rotate ${apiKey.prefix}`}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A secret shown once: selectable, copyable, gone when dismissed (it lives only in this component's memory). */
export function NewSecret({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  const id = useId('secret');
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, [value]);
  return (
    <div class="box success secret" role="region" aria-label="Shown once">
      <p>
        <strong>Copy it now: it is shown only once.</strong> Meridian keeps only a hash and cannot show it again.
      </p>
      <label for={id}>{label}</label>
      <div class="secret-row">
        <input id={id} ref={ref} class="secret-value" data-secret readOnly value={value} spellcheck={false} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              ref.current?.select();
            }
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </div>
  );
}
