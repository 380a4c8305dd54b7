import { ApiError, admin, session, type WhoAmI } from './api';

/** The provider the gateway offers beside admin tokens (GET /admin/v1/sign-in). */
export interface OidcProvider {
  name: string;
  authorization_endpoint: string;
  client_id: string;
  scope: string;
}

interface SignInOptions {
  oidc: OidcProvider | null;
}

interface SignInSession {
  token: string;
  expires_at: string;
  me: WhoAmI;
}

/** What this tab remembers between leaving for the provider and coming back: never sent anywhere but the gateway. */
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  provider: string;
}

const pendingKey = 'meridian.portal.oidc-pending';
const providerKey = 'meridian.portal.signed-in-with';

export const signInOptions = (): Promise<SignInOptions> => admin<SignInOptions>('GET', '/sign-in');

/** The provider this tab's session came from, if it came from one (for the "session expired" message). */
export const signedInWith = (): string | null => sessionStorage.getItem(providerKey);

export function forgetProvider(): void {
  sessionStorage.removeItem(providerKey);
}

/**
 * Leaves for the provider's login page (authorization code with PKCE): the verifier, state and nonce stay in this tab,
 * and the provider sends the browser back to the portal's root with a code.
 */
export async function startSignIn(provider: OidcProvider): Promise<void> {
  const verifier = randomString(32);
  const pending: Pending = {
    state: randomString(16),
    nonce: randomString(16),
    verifier,
    redirectUri: `${location.origin}/portal/`,
    provider: provider.name,
  };
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  const url = new URL(provider.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.client_id);
  url.searchParams.set('redirect_uri', pending.redirectUri);
  url.searchParams.set('scope', provider.scope);
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  url.searchParams.set('code_challenge', await challengeOf(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  location.assign(url.toString());
}

/** True when this page load is the provider sending the browser back (a code or an error, and a sign-in this tab began). */
export function isReturning(): boolean {
  const query = new URLSearchParams(location.search);
  return (query.has('code') || query.has('error')) && query.has('state') && sessionStorage.getItem(pendingKey) !== null;
}

/**
 * Finishes the sign-in the provider sent the browser back from: checks the state, has the gateway redeem the code
 * (it checks the ID token and maps the person to a role) and keeps the session like a pasted token.
 */
export async function completeSignIn(): Promise<WhoAmI> {
  const query = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null') as Pending | null;
  sessionStorage.removeItem(pendingKey);
  // The code must not stay in the address bar or the history.
  history.replaceState(null, '', '/portal/');
  if (!pending || query.get('state') !== pending.state) {
    throw new ApiError(0, 'state', 'The sign-in could not be finished: it was not started in this tab (state mismatch). Sign in again.');
  }
  const error = query.get('error');
  if (error) {
    const description = query.get('error_description');
    throw new ApiError(0, error, `${pending.provider} did not sign you in: ${description ?? error}.`);
  }
  const result = await admin<SignInSession>('POST', '/sign-in/oidc', {
    body: { code: query.get('code'), code_verifier: pending.verifier, redirect_uri: pending.redirectUri, nonce: pending.nonce },
  });
  session.set(result.token);
  sessionStorage.setItem(providerKey, pending.provider);
  return result.me;
}

function randomString(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
