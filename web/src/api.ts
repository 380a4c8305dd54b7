// The portal's only backend is the gateway's own admin API (docs/admin-api.md).

export type Role = 'operator-admin' | 'publisher-admin' | 'reviewer' | 'tenant-admin' | 'tenant-developer';

export interface WhoAmI {
  token_id: string;
  name: string;
  role: Role;
  tenant_id: string | null;
  publisher_id: string | null;
  geographies: string[] | null;
}

export interface RegionSummary {
  name: string;
  display_name: string;
  version: number;
}

export interface DataZone {
  name: string;
  regions: RegionSummary[];
}

export interface Geography {
  name: string;
  data_zones: DataZone[];
  regions_without_zone: RegionSummary[];
}

export interface World {
  geographies: Geography[];
}

export interface Prices {
  input: string;
  output: string;
  cache_write: string;
  cache_read: string;
}

export interface OfferModel {
  model_id: string;
  display_name: string;
  context_window: number;
  max_output_tokens: number;
}

export interface TermsSummary {
  version: number;
  sha256: string;
  effective_at: string;
}

export interface TermsDocument extends TermsSummary {
  text: string;
}

export type HostingOption = 'platform' | 'publisher';
export type DeploymentType = 'global' | 'datazone' | 'regional';

export interface Offer {
  id: string;
  publisher_id: string;
  name: string;
  hosting_options: HostingOption[];
  deployment_types: DeploymentType[];
  prices: Prices;
  models: OfferModel[];
  terms: TermsSummary;
  /** Versions published to take effect later, oldest first. */
  scheduled_terms?: TermsSummary[];
  version: number;
  created_at: string;
}

export interface Publisher {
  id: string;
  name: string;
  contact_email: string;
  endpoints: { url: string; declared_location: string }[];
  created_at: string;
}

export interface Tenant {
  id: string;
  name: string;
  billing_contact: { name: string; email: string };
  created_at: string;
}

/** One tenant's acceptance of one terms version, with the text's hash (GET /offers/{id}/acceptances). */
export interface Acceptance {
  id: string;
  subscription_id: string;
  tenant_id: string;
  offer_id: string;
  terms_version: number;
  sha256: string;
  accepted_by: string;
  /** The display name of the token that accepted; null for a system actor. */
  accepted_by_name?: string | null;
  accepted_at: string;
}

export interface Subscription {
  id: string;
  tenant_id: string;
  offer_id: string;
  terms_version: number;
  accepted_by: string;
  accepted_by_name?: string | null;
  accepted_at: string;
  version: number;
}

export interface Resource {
  id: string;
  tenant_id: string;
  name: string;
  region: string;
  data_zone: string | null;
  geography: string;
  created_at: string;
}

export interface Deployment {
  id: string;
  resource_id: string;
  tenant_id: string;
  name: string;
  offer_id: string;
  model_id: string;
  hosting_option: HostingOption;
  deployment_type: DeploymentType | null;
  capacity: { rpm: number; tpm: number };
  safeguard_policy: string;
  data_may_leave_geography_acknowledgment: { acknowledged_by: string; acknowledged_by_name?: string | null; acknowledged_at: string } | null;
  region: string;
  data_zone: string | null;
  geography: string;
  processing_boundary: string;
  created_by: string;
  created_by_name?: string | null;
  created_at: string;
  reviewed_by: string;
  retention_mode: 'standard' | 'none';
  status?: 'active' | 'suspended';
  suspensions?: Suspension[];
  /** The deployment's own safeguard settings on top of its policy (docs/safeguards.md, "Settings per deployment"); null for none. */
  safeguards?: DeploymentSafeguards | null;
}

export interface SafeguardCells {
  [category: string]: { [severity: string]: string };
}

export interface DeploymentSafeguards {
  input?: SafeguardCells;
  output?: SafeguardCells;
  blocklist?: { terms?: string[]; patterns?: string[]; category: string; severity?: string };
  /** Days a flagged request's sealed content is kept; absent: the gateway's period. */
  retention_days?: number;
}

/** A Trust & Safety suspension (docs/safeguards.md, "Suspensions"); lifted only by a recorded decision with a reason. */
export interface Suspension {
  id: string;
  status: 'standing' | 'lifted';
  scope: 'key' | 'deployment' | 'resource' | 'tenant';
  subject_id: string;
  tenant_id: string;
  resource_id: string | null;
  deployment_name: string | null;
  case_id: string;
  party: string;
  suspended_at: string;
  suspended_by?: string;
  suspended_by_name?: string | null;
  key_lineages?: string[];
  lift?: { lifted_by: string; lifted_by_name?: string | null; lifted_at: string; reason_code: string; reason: string };
}

/** A case as its tenant sees it: what was flagged and decided, never content, reviewers or free-text reasons. */
export interface TenantCase {
  id: string;
  request_id: string;
  created_at: string;
  geography: string;
  key_id: string;
  deployment_id: string;
  deployment_name: string;
  policy: string;
  verdict: string;
  action: string;
  categories: { category: string; severity: string }[];
  status: CaseStatus;
  decision: CaseDecision | null;
  decision_action: CaseAction | null;
  decided_at: string | null;
  reviewed_by: string;
  retention: string;
  snapshot: 'held' | 'purged' | 'not_retained';
  purged_at: string | null;
}

/** One access to a tenant's case as the tenant sees it: what, when and the reason code; never who. */
export interface TenantAccessEvent {
  at: string;
  event: string;
  reason_code: string | null;
  decision: CaseDecision | null;
  action: CaseAction | null;
}

export interface ApiKey {
  id: string;
  resource_id: string;
  tenant_id: string;
  name: string | null;
  prefix: string;
  status: 'active' | 'expired' | 'revoked' | 'suspended';
  created_by: string;
  created_by_name?: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  /** When a request last used it (its latest written receipt); null when never. */
  last_used_at?: string | null;
  /** Only in the answer to a rotation: the key it replaces, with the end of its overlap as expires_at. */
  replaces?: ApiKey;
}

export interface AdminToken {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  tenant_id: string | null;
  publisher_id: string | null;
  geographies: string[] | null;
  created_by: string;
  created_by_name?: string | null;
  created_at: string;
  revoked_at: string | null;
  /** For a person signed in with OpenID Connect: oidc:ISSUER#SUBJECT. */
  subject?: string | null;
}

export interface AuditRecord {
  id: number | string;
  at: string;
  actor: string;
  /** The display name of the admin token the actor names; null for system actors. */
  actor_name: string | null;
  action: string;
  object_type: string;
  object_id: string;
  before: unknown;
  after: unknown;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Receipt {
  request_id: string;
  created_at: string;
  tenant_id: string;
  key_id: string;
  deployment_id: string | null;
  deployment_name: string | null;
  model: string | null;
  hosting_option: HostingOption | null;
  deployment_type: DeploymentType | null;
  ingress_region: string;
  backend: string | null;
  processing_region: string | null;
  storage_geography: string;
  endpoint: string;
  streamed: boolean;
  status: number;
  error_type: string | null;
  safeguard_verdict: string;
  stop_reason: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  duration_ms: number;
  // Added by the boundary router; absent on older gateways.
  processing_operator?: string | null;
  processing_data_zone?: string | null;
  attempts?: { backend: string; region: string; data_zone: string | null; operator: string; outcome: string }[] | null;
  routing_failure?: string | null;
  // Receipts from before the receipt log carry their own signature; newer ones are authenticated by `log`.
  signature?: { algorithm: string; key_id: string; value: string } | null;
  // Served by the receipt lookups and lists (not the boundary report): the receipt's leaf and the signed tree head that includes it (docs/receipts.md).
  log?: {
    log_id: string;
    leaf_index: number;
    tree_head: { tree_size: number; signature: { algorithm: string; key_id: string } };
  } | null;
  // Served by `GET /v1/receipts/{id}` only, beside the receipt: every access to the request's case, each a leaf of the
  // receipt log, and everyone who received its content (docs/receipts.md, "Access records"). Absent on older gateways.
  access?: AccessRecord[];
  content_recipients?: ContentRecipient[];
}

export interface AccessRecord {
  request_id: string;
  case_id: string;
  seq: number;
  event: string;
  reason_code: string | null;
  at: string;
  /** Whose people, in which role; the person only as a salted commitment the operator can open. */
  actor: { role: string | null; organisation: string | null; commitment: string | null };
  content: boolean;
  chain_hash: string;
  log: { log_id: string; leaf_index: number; tree_head: { tree_size: number } } | null;
}

export interface ContentRecipient {
  party: string;
  via: 'processing' | 'case_open';
  roles: string[] | null;
  records: number[] | null;
}

export interface ReceiptPage {
  data: Receipt[];
  has_more: boolean;
  next_cursor: string | null;
}

// ---- Trust & Safety review (docs/safeguards.md, "Review API") ----

export type CaseStatus = 'open' | 'decided';
export type CaseDecision = 'no_violation' | 'violation';
export type CaseAction = 'none' | 'warn_tenant' | 'suspend_key' | 'suspend_deployment';

/** A case's metadata: never content (that takes POST /cases/{id}/open, which is audited). */
export interface CaseView {
  id: string;
  request_id: string;
  created_at: string;
  geography: string;
  tenant_id: string;
  key_id: string;
  resource_id: string;
  deployment_id: string;
  deployment_name: string;
  publisher_id: string;
  policy: string;
  verdict: string;
  action: string;
  categories: { category: string; severity: string }[];
  kinds: string[];
  status: CaseStatus;
  decision: CaseDecision | null;
  decision_action: CaseAction | null;
  decided_at: string | null;
  decided_by: string | null;
  /** The decider's display name when they decided (null on decisions from before names were recorded). */
  decided_by_name?: string | null;
  // The tenant's name beside tenant_id in the review queue and a case's facts (absent on older gateways).
  tenant_name?: string | null;
  rationale?: string | null;
  /** How the decider saw the content: opened it, decided without opening it (with a reason), or there was none to open. */
  decided_content?: 'opened' | 'not_opened' | 'unavailable' | null;
  not_opened_reason?: string | null;
  snapshot: 'held' | 'purged' | 'not_retained';
  purged_at: string | null;
  /** Escalated as urgent: sorts first in the queue. */
  urgent?: boolean;
  escalation?: CaseEscalation | null;
}

export interface CaseEscalation {
  at: string;
  by: string;
  by_name: string;
  reason: string;
  /** Who was told: the people whose queue shows the case as urgent. */
  notified: { id: string; name: string }[];
}

export interface AccessEvent {
  seq: number;
  at: string;
  actor: string;
  case_id: string;
  /** The actor's display name when the entry was written (absent on entries from before). */
  actor_name?: string | null;
  event: string;
  /** What the tenant is shown: triage, escalation, appeal, legal_request or quality_audit (opens only). */
  reason_code?: string | null;
  reason: string | null;
  previous_hash: string;
  hash: string;
}

/** The decrypted snapshot: the request body as the client sent it and the answer's text. */
export interface CaseExcerpt {
  /** Where in the request the text sits, as a JSON path (messages[2].content[0].text, tools[0].description, …). */
  location: string;
  start: number;
  end: number;
  field_chars: number;
  findings: string[];
  text: string;
}

export interface CaseSnapshot {
  /** The whole request body when it was small (16 KiB or less); otherwise null, and the excerpts carry the flagged text. */
  request: unknown;
  request_shape?: Record<string, unknown>;
  excerpts?: CaseExcerpt[];
  excerpts_truncated?: boolean;
  response: string;
  response_truncated?: boolean;
}

export interface OpenCaseResponse {
  case: CaseView;
  snapshot: CaseSnapshot;
  access: AccessEvent;
}

// ---- backends (GET /backends, operator) ----

export interface BackendTraffic {
  requests: number;
  errors: number;
  requests_last_minute: number;
  errors_last_minute: number;
  error_rate_last_minute: number | null;
}

export interface BackendInfo {
  id: string;
  kind: string;
  region: string;
  data_zone: string | null;
  operated_by: string;
  models: string[] | null;
  max_in_flight: number | null;
  condition: 'healthy' | 'ejected' | 'probe_down' | 'overloaded';
  health: string;
  probed: boolean;
  ejected_until: string | null;
  consecutive_failures: number;
  in_flight: number;
  latency_ms: number | null;
  traffic: BackendTraffic;
}

export interface BackendList {
  at: string;
  window_seconds: number;
  total: BackendTraffic;
  data: BackendInfo[];
}

// ---- metrics (GET /metrics, operator): the node's Meridian.Gateway instruments ----

export interface LiveSeries {
  tags: Record<string, string>;
  /** Counters: the sum since watching began; gauges: the last value. */
  value: number | null;
  count: number | null;
  sum: number | null;
  /** Histograms: cumulative counts per upper bound; the last bound is null (+Inf). */
  buckets: { le: number | null; count: number }[] | null;
}

export interface LiveInstrument {
  name: string;
  unit: string | null;
  description: string | null;
  kind: 'counter' | 'up_down_counter' | 'observed_counter' | 'gauge' | 'histogram';
  series: LiveSeries[];
}

export interface LiveMetrics {
  at: string;
  watching_since: string;
  idle_stop_seconds: number;
  instruments: LiveInstrument[];
}

// ---- usage per day (GET /tenants/{t}/usage/daily) ----

export interface UsageNumbers {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cost: string;
}

export interface DeploymentDay extends UsageNumbers {
  deployment_id: string;
  deployment_name: string;
}

export interface UsageDay extends UsageNumbers {
  day: string;
  deployments: DeploymentDay[];
}

export interface DailyUsage {
  tenant_id: string;
  period: string;
  currency: string;
  days: UsageDay[];
  total: string;
}

/** An RFC 9457 problem from the admin API (or an error from the data plane), with the fields at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: Record<string, string[]> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  /** The messages for one wire field (`name`, `prices.input`), joined. */
  field(name: string): string | undefined {
    const messages = this.errors[name];
    return messages?.length ? messages.join(' ') : undefined;
  }
}

const tokenKey = 'meridian.portal.admin-token';

/** The admin token lives in this tab's sessionStorage only: closing the tab signs out; nothing is persisted. */
export const session = {
  get token(): string | null {
    return sessionStorage.getItem(tokenKey);
  },
  set(token: string): void {
    sessionStorage.setItem(tokenKey, token);
  },
  clear(): void {
    sessionStorage.removeItem(tokenKey);
  },
};

/** Called when the admin API answers 401 (token revoked while the portal is open). */
let onUnauthenticated: (() => void) | null = null;
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

const adminBase = '/admin/v1';

interface CallOptions {
  body?: unknown;
  ifMatch?: string;
  token?: string;
}

/** One admin API call. Resolves with the parsed JSON (undefined for 204), rejects with {@link ApiError}. */
export async function admin<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const token = options.token ?? session.token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (options.ifMatch) {
    headers['if-match'] = options.ifMatch;
  }

  let response: Response;
  try {
    response = await fetch(adminBase + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', `The gateway could not be reached (${(e as Error).message}).`);
  }

  if (response.status === 204) {
    return undefined as T;
  }
  const text = await response.text();
  const json = text ? safeParse(text) : undefined;
  if (!response.ok) {
    const problem = (json ?? {}) as { type?: string; detail?: string; title?: string; errors?: Record<string, string[]> };
    const code = problem.type?.split('/').pop() ?? `http_${response.status}`;
    const error = new ApiError(response.status, code, problem.detail ?? problem.title ?? `${response.status} ${response.statusText}`, problem.errors ?? {});
    if (response.status === 401 && !options.token) {
      onUnauthenticated?.();
    }
    throw error;
  }
  return json as T;
}

export const get = <T>(path: string): Promise<T> => admin<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => admin<T>('POST', path, { body: body ?? {} });

/** Every page of a list endpoint, in order. */
export async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  const separator = path.includes('?') ? '&' : '?';
  do {
    const page: Page<T> = await get<Page<T>>(`${path}${separator}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/**
 * True when the gateway has no such admin endpoint at all (a feature not installed on this version), as opposed to a
 * missing object: the admin API's fallback answers 404 "No admin endpoint …", a known path with another method 405.
 */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 405 || (error.status === 404 && error.detail.startsWith('No admin endpoint')));
}

/** A GET that answers null when the endpoint does not exist on this gateway (features other issues add). */
export async function getOptional<T>(path: string): Promise<T | null> {
  try {
    return await get<T>(path);
  } catch (e) {
    if (isMissingEndpoint(e)) {
      return null;
    }
    throw e;
  }
}

/**
 * A page of the tenant's receipts in a period, every resource's, each with its log proof, by the signed-in role
 * (`GET /admin/v1/tenants/{tenant}/receipts`, the same page as the data plane's `GET /v1/receipts`).
 */
export async function listReceipts(tenantId: string, from: string, to: string, cursor?: string | null): Promise<ReceiptPage> {
  const query = new URLSearchParams({ from, to, limit: '50' });
  if (cursor) {
    query.set('cursor', cursor);
  }
  return await get<ReceiptPage>(`/tenants/${encodeURIComponent(tenantId)}/receipts?${query}`);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = Object.entries(error.errors).map(([field, messages]) => `${field}: ${messages.join(' ')}`);
    return fields.length ? `${error.detail} (${fields.join('; ')})` : error.detail;
  }
  return error instanceof Error ? error.message : String(error);
}

// ---- operator dashboard (GET /dashboard, operator) ----

/** One hour or one group: counts from the receipts, cost from the usage ledger (null by backend). */
export interface TrafficRow {
  key: string;
  name: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  tokens: number;
  cost: string | null;
  errors: number;
  rate_limited: number;
  blocked: number;
  fail_closed: number;
}

export interface Dashboard {
  from: string;
  to: string;
  generated_at: string;
  currency: string;
  filters: { tenant: string | null; deployment: string | null; backend: string | null };
  cost_filtered: boolean;
  totals: TrafficRow;
  hours: TrafficRow[];
  by_tenant: TrafficRow[];
  by_deployment: TrafficRow[];
  by_backend: TrafficRow[];
}
