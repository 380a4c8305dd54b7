import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, admin, errorMessage, session, setUnauthenticatedHandler, type Role, type WhoAmI } from './api';
import { completeSignIn, forgetProvider, isReturning, signedInWith, signInOptions, startSignIn, type OidcProvider } from './oidc';
import { Link, navigate, usePath } from './router';
import { SessionContext, type Session } from './session';
import { ErrorBox, Spinner, UncaughtFailures, ViewTitle } from './ui';
import { OperatorDashboard } from './views/dashboard';
import { OperatorAudit, OperatorBackends, OperatorTenants, OperatorWorld } from './views/operator';
import { PublisherOffers } from './views/publisher';
import { TenantDeveloperTokens } from './views/devtokens';
import { ReviewerCases } from './views/reviewer';
import { ReviewerSuspensions, TenantSafety } from './views/safety';
import { TenantCatalogue, TenantDeployments, TenantKeys } from './views/tenant';
import { TenantUsage } from './views/usage';

export type Area = 'Tenant' | 'Publisher' | 'Reviewer' | 'Operator';

/** Which areas each role sees. The admin API enforces the same rules; the portal only hides what would be refused. */
const areasByRole: Record<Role, Area[]> = {
  'operator-admin': ['Operator', 'Tenant', 'Publisher', 'Reviewer'],
  'publisher-admin': ['Publisher'],
  reviewer: ['Reviewer'],
  'tenant-admin': ['Tenant'],
  'tenant-developer': ['Tenant'],
};

export interface ViewDef {
  path: string;
  title: string;
  area: Area;
  component: ComponentType;
  /** Paths below this one (e.g. /reviewer/cases/{id}) belong to the view too; the component reads the rest of the path. */
  nested?: boolean;
  /** Only these roles, of those that see the area (a tenant developer cannot issue tokens). */
  roles?: Role[];
}

export const views: ViewDef[] = [
  { path: '/operator/world', title: 'World', area: 'Operator', component: OperatorWorld },
  { path: '/operator/tenants', title: 'Tenants & tokens', area: 'Operator', component: OperatorTenants },
  { path: '/operator/dashboard', title: 'Dashboard', area: 'Operator', component: OperatorDashboard },
  { path: '/operator/backends', title: 'Backends', area: 'Operator', component: OperatorBackends },
  { path: '/operator/audit', title: 'Audit', area: 'Operator', component: OperatorAudit },
  { path: '/tenant/catalogue', title: 'Catalogue', area: 'Tenant', component: TenantCatalogue },
  { path: '/tenant/deployments', title: 'Deployments', area: 'Tenant', component: TenantDeployments },
  { path: '/tenant/keys', title: 'Keys', area: 'Tenant', component: TenantKeys },
  { path: '/tenant/tokens', title: 'Developer tokens', area: 'Tenant', component: TenantDeveloperTokens, roles: ['tenant-admin', 'operator-admin'] },
  { path: '/tenant/usage', title: 'Usage & receipts', area: 'Tenant', component: TenantUsage },
  { path: '/tenant/safety', title: 'Trust & Safety', area: 'Tenant', component: TenantSafety },
  { path: '/publisher/offers', title: 'Offers & terms', area: 'Publisher', component: PublisherOffers },
  { path: '/reviewer/cases', title: 'Case queue', area: 'Reviewer', component: ReviewerCases, nested: true },
  { path: '/reviewer/suspensions', title: 'Suspensions', area: 'Reviewer', component: ReviewerSuspensions },
];

export function viewsFor(me: WhoAmI): ViewDef[] {
  const areas = areasByRole[me.role] ?? [];
  return views.filter((v) => areas.includes(v.area) && (!v.roles || v.roles.includes(me.role)));
}

/** The view a path shows: its own, or for a nested view (a case of the queue) the view above it. */
function viewAt(path: string): ViewDef | undefined {
  return views.find((v) => v.path === path || (v.nested && path.startsWith(`${v.path}/`)));
}

export function App() {
  const returning = isReturning();
  const [state, setState] = useState<WhoAmI | null | undefined>(session.token || returning ? undefined : null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const signOut = (message: string | null, failed = false) => {
    session.clear();
    forgetProvider();
    setNotice(failed ? null : message);
    setFailure(failed ? message : null);
    setState(null);
  };

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      // A refused sign-in is answered where it was made; this is for a session that ends while the portal is open.
      if (!session.token) {
        return;
      }
      const provider = signedInWith();
      signOut(
        provider
          ? `Your sign-in with ${provider} has ended (expired, or your access was revoked). Sign in again.`
          : 'Your admin token is no longer valid (revoked or unknown). Sign in again.',
      );
    });
    if (returning) {
      completeSignIn().then(setState, (e: unknown) => signOut(errorMessage(e), true));
    } else if (session.token) {
      signIn(session.token).then(setState, (e: unknown) => signOut(errorMessage(e)));
    }
    return () => setUnauthenticatedHandler(null);
  }, []);

  if (state === undefined) {
    return <Spinner label="Signing in…" />;
  }
  if (state === null) {
    return (
      <Login
        notice={notice}
        failure={failure}
        onSignedIn={(s) => {
          setNotice(null);
          setFailure(null);
          setState(s);
        }}
      />
    );
  }
  return (
    <Shell
      me={state}
      onSignOut={() => {
        // A person's session ends at the gateway too; an admin token stays valid until revoked.
        const ending = signedInWith() ? admin('POST', '/sign-out').catch(() => undefined) : Promise.resolve();
        void ending.then(() => signOut('Signed out.'));
      }}
    />
  );
}

async function signIn(token: string): Promise<WhoAmI> {
  const me = await admin<WhoAmI>('GET', '/whoami', { token });
  session.set(token);
  return me;
}

function Login({ onSignedIn, notice, failure }: { onSignedIn: (me: WhoAmI) => void; notice: string | null; failure: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [provider, setProvider] = useState<OidcProvider | null>(null);
  const [providerError, setProviderError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in · Meridian portal';
    input.current?.focus();
    signInOptions().then(
      (options) => setProvider(options.oidc),
      (e: unknown) => setProviderError(errorMessage(e)),
    );
  }, []);
  return (
    <div class="login-page">
      <header class="brand-bar" role="banner">
        <span class="brand">Meridian</span>
      </header>
      <main id="main" class="login">
        <h1>Sign in to the Meridian portal</h1>
        <p>
          Paste an admin token (<code>mat-…</code>). What you see depends on its role: operator, publisher, reviewer, tenant admin or
          developer.
        </p>
        {notice && (
          <div class="box info" role="status">
            {notice}
          </div>
        )}
        {failure && <ErrorBox>{failure}</ErrorBox>}
        {providerError && <ErrorBox>Single sign-on is not available: {providerError}</ErrorBox>}
        {provider && (
          <section class="sso" aria-labelledby="sso-heading">
            <h2 id="sso-heading">With your organisation's account</h2>
            <button type="button" onClick={() => void startSignIn(provider)}>
              Sign in with {provider.name}
            </button>
            <h2>Or with an admin token</h2>
          </section>
        )}
        <form
          aria-label="Sign in"
          onSubmit={async (e) => {
            e.preventDefault();
            const value = token.trim();
            if (!value) {
              setError('Enter an admin token.');
              return;
            }
            setBusy(true);
            setError(null);
            try {
              onSignedIn(await signIn(value));
            } catch (err) {
              setError(err instanceof ApiError && err.status === 401 ? 'That token is not valid: unknown or revoked.' : errorMessage(err));
              input.current?.focus();
            } finally {
              setBusy(false);
            }
          }}
        >
          <div class="field">
            <label for="admin-token">Admin token</label>
            <input
              id="admin-token"
              ref={input}
              type="password"
              autoComplete="off"
              spellcheck={false}
              value={token}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'admin-token-hint admin-token-error' : 'admin-token-hint'}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
            <p class="hint" id="admin-token-hint">
              Kept in this browser tab only (session storage) and sent to this gateway's admin API; closing the tab signs you out.
            </p>
            {error && (
              <p class="field-error" id="admin-token-error" role="alert">
                {error}
              </p>
            )}
          </div>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </main>
    </div>
  );
}

const roleLabels: Record<Role, string> = {
  'operator-admin': 'Operator admin',
  'publisher-admin': 'Publisher admin',
  reviewer: 'Reviewer',
  'tenant-admin': 'Tenant admin',
  'tenant-developer': 'Tenant developer',
};

function Shell({ me, onSignOut }: { me: WhoAmI; onSignOut: () => void }) {
  const path = usePath();
  const [tenantId, setTenantId] = useState<string | null>(me.tenant_id ?? sessionStorage.getItem('meridian.portal.tenant'));
  const [publisherId, setPublisherId] = useState<string | null>(me.publisher_id ?? sessionStorage.getItem('meridian.portal.publisher'));
  const mine = viewsFor(me);
  const view = viewAt(path);
  const allowed = view && mine.includes(view) ? view : undefined;

  useEffect(() => {
    if (path === '/' && mine.length > 0) {
      navigate(mine[0].path, true);
    }
  }, [path]);
  useEffect(() => {
    document.title = `${allowed ? `${allowed.title} · ${allowed.area}` : 'Not available'} · Meridian portal`;
  }, [allowed]);

  const value: Session = {
    me,
    tenantId,
    setTenantId: (id) => {
      sessionStorage.setItem('meridian.portal.tenant', id);
      setTenantId(id);
    },
    publisherId,
    setPublisherId: (id) => {
      sessionStorage.setItem('meridian.portal.publisher', id);
      setPublisherId(id);
    },
  };
  const areas = [...new Set(mine.map((v) => v.area))];
  const scope = me.tenant_id ? `tenant ${me.tenant_id}` : me.publisher_id ? `publisher ${me.publisher_id}` : 'everything';

  return (
    <SessionContext.Provider value={value}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="brand-bar" role="banner">
        <span class="brand">Meridian</span>
        <span class="who" data-role={me.role}>
          <span class="who-name">{me.name}</span> · {roleLabels[me.role] ?? me.role} · {scope}
          {me.geographies?.length ? ` · geographies ${me.geographies.join(', ')}` : ''}
        </span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav aria-label="Portal views" class="sidebar">
          {areas.map((area) => (
            <div key={area} class="nav-area">
              <h2 id={`nav-${area}`}>{area}</h2>
              <ul aria-labelledby={`nav-${area}`}>
                {mine
                  .filter((v) => v.area === area)
                  .map((v) => (
                    <li key={v.path}>
                      <Link href={v.path} aria-current={v === allowed ? 'page' : undefined}>
                        {v.title}
                      </Link>
                    </li>
                  ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" tabIndex={-1} data-view={allowed ? path : 'none'}>
          <UncaughtFailures key={path} />
          {allowed ? (
            <allowed.component key={`${path}|${tenantId}|${publisherId}`} />
          ) : path === '/' ? (
            mine.length === 0 ? (
              <NoViews />
            ) : (
              <Spinner />
            )
          ) : (
            <NotAvailable known={!!view} />
          )}
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function NoViews() {
  return (
    <>
      <ViewTitle>No views for this role</ViewTitle>
      <p>This token's role has no portal views.</p>
    </>
  );
}

function NotAvailable({ known }: { known: boolean }) {
  return (
    <>
      <ViewTitle>Not available</ViewTitle>
      <ErrorBox>
        {known ? 'Your role does not have access to this view.' : 'There is no such page in the portal.'} Choose a view from the navigation.
      </ErrorBox>
    </>
  );
}
