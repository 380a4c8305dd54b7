// The portal's only backend is the gateway's own admin API (docs/admin-api.md). Its shapes come from the contract
// generated from the gateway's OpenAPI document (admin-contract.ts; web/README.md says how to regenerate it), not from
// hand-written copies. Here the portal only narrows: string fields whose values the docs list become unions, so views
// switch over them checked, and what the document leaves open (JSON the gateway passes through) is spelt out.
import type * as Contract from './admin-contract';

/** In an answer the gateway fills every field of the records it shares with requests (prices, capacity, models, contacts). */
type Answered<T> = { [K in keyof T]-?: NonNullable<T[K]> };

export type Role = 'operator-admin' | 'publisher-admin' | 'reviewer' | 'tenant-admin' | 'tenant-developer';
export type HostingOption = 'platform' | 'publisher';
export type DeploymentType = 'global' | 'datazone' | 'regional';

export type WhoAmI = Omit<Contract.WhoAmIResponse, 'role'> & { role: Role };

export type RegionSummary = Contract.RegionSummary;
export type DataZone = Contract.DataZoneView;
export type Geography = Contract.GeographyView;
export type World = Contract.WorldResponse;

export type Prices = Answered<Contract.PricesView>;
export type OfferModel = Answered<Contract.OfferModelView>;
export type TermsSummary = Contract.TermsView;
export type TermsDocument = Contract.TermsDocumentView;

export type Offer = Omit<Contract.OfferView, 'hosting_options' | 'deployment_types' | 'prices' | 'models'> & {
  hosting_options: HostingOption[];
  deployment_types: DeploymentType[];
  prices: Prices;
  models: OfferModel[];
};

export type Publisher = Omit<Contract.PublisherView, 'endpoints'> & { endpoints: Answered<Contract.PublisherEndpointView>[] };

export type Tenant = Omit<Contract.TenantView, 'billing_contact'> & { billing_contact: Answered<Contract.BillingContactView> };

/** One tenant's acceptance of one terms version, with the text's hash (GET /offers/{id}/acceptances). */
export type Acceptance = Contract.AcceptanceView;
export type Subscription = Omit<Contract.SubscriptionView, 'prices'> & { prices: Prices };
export type Resource = Contract.ResourceView;

export type Deployment = Omit<
  Contract.DeploymentView,
  'hosting_option' | 'deployment_type' | 'capacity' | 'retention_mode' | 'status' | 'safeguards' | 'suspensions'
> & {
  hosting_option: HostingOption;
  deployment_type: DeploymentType | null;
  capacity: Answered<Contract.CapacityView>;
  retention_mode: 'standard' | 'none';
  status?: 'active' | 'suspended';
  suspensions?: Suspension[];
  /** The deployment's own safeguard settings on top of its policy (docs/safeguards.md, "Settings per deployment"); null for none. */
  safeguards?: DeploymentSafeguards | null;
};

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
export type Suspension = Omit<Contract.SuspensionView, 'status' | 'scope'> & {
  status: 'standing' | 'lifted';
  scope: 'key' | 'deployment' | 'resource' | 'tenant';
};

// ---- Trust & Safety review (docs/safeguards.md, "Review API") ----

export type CaseStatus = 'open' | 'decided';
export type CaseDecision = 'no_violation' | 'violation';
export type CaseAction = 'none' | 'warn_tenant' | 'suspend_key' | 'suspend_deployment';
type SnapshotState = 'held' | 'purged' | 'not_retained';

/** A case as its tenant sees it: what was flagged and decided, never content, reviewers or free-text reasons. */
export type TenantCase = Omit<Contract.TenantCaseView, 'status' | 'decision' | 'decision_action' | 'snapshot'> & {
  status: CaseStatus;
  decision: CaseDecision | null;
  decision_action: CaseAction | null;
  snapshot: SnapshotState;
};

/** One access to a tenant's case as the tenant sees it: what, when and the reason code; never who. */
export type TenantAccessEvent = Omit<Contract.TenantAccessEventView, 'decision' | 'action'> & {
  decision: CaseDecision | null;
  action: CaseAction | null;
};

/** A case's metadata: never content (that takes POST /cases/{id}/open, which is audited). */
export type CaseView = Omit<Contract.CaseView, 'status' | 'decision' | 'decision_action' | 'decided_content' | 'snapshot'> & {
  status: CaseStatus;
  decision: CaseDecision | null;
  decision_action: CaseAction | null;
  /** How the decider saw the content: opened it, decided without opening it (with a reason), or there was none to open. */
  decided_content?: 'opened' | 'not_opened' | 'unavailable' | null;
  snapshot: SnapshotState;
};

export type CaseEscalation = Contract.CaseEscalationView;
export type AccessEvent = Contract.AccessEventView;

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

export type OpenCaseResponse = Omit<Contract.OpenCaseResponse, 'case' | 'snapshot'> & { case: CaseView; snapshot: CaseSnapshot };

export type ApiKey = Omit<Contract.KeyView, 'status' | 'replaces'> & {
  status: 'active' | 'expired' | 'revoked' | 'suspended';
  /** Only in the answer to a rotation: the key it replaces, with the end of its overlap as expires_at. */
  replaces?: ApiKey | null;
};

export type AdminToken = Omit<Contract.TokenView, 'role'> & { role: Role };
export type AuditRecord = Contract.AuditView;

/** One page of a list: every list answer has this shape. */
export type Page<T> = Omit<Contract.ListResponseOfOfferView, 'data'> & { data: T[] };

// ---- receipts: passed through as the receipt log signed them, so the document leaves their shape open ----

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

// ---- backends (GET /backends, operator) ----

export type BackendTraffic = Contract.BackendTrafficView;
export type BackendInfo = Omit<Contract.BackendView, 'condition'> & { condition: 'healthy' | 'ejected' | 'probe_down' | 'overloaded' };
export type BackendList = Omit<Contract.BackendListView, 'data'> & { data: BackendInfo[] };

// ---- metrics (GET /metrics, operator): the node's Meridian.Gateway instruments ----

export type LiveSeries = Contract.LiveSeriesView;
export type LiveInstrument = Omit<Contract.LiveInstrumentView, 'kind'> & {
  kind: 'counter' | 'up_down_counter' | 'observed_counter' | 'gauge' | 'histogram';
};
export type LiveMetrics = Omit<Contract.LiveMetricsView, 'instruments'> & { instruments: LiveInstrument[] };

// ---- usage per day (GET /tenants/{t}/usage/daily) ----

export type DeploymentDay = Contract.DeploymentDayView;
export type UsageDay = Contract.UsageDayView;
export type DailyUsage = Contract.DailyUsageView;

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
export type TrafficRow = Contract.TrafficView;
export type Dashboard = Contract.DashboardView;
