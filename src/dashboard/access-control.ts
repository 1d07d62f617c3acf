import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The cookie a browser keeps after opening the page once with `?token=`. */
export const TOKEN_COOKIE = 'mongock_dashboard';

/** How a request proved it may read: no token configured, a bearer header, the cookie, or the page's `?token=`. */
export type Credential = 'none-required' | 'bearer' | 'cookie' | 'query';

/** Whether a request may see the dashboard, and by which credential (none required, a bearer header, the cookie or the query token). */
export type AccessDecision = { readonly allowed: true; readonly credential: Credential } | { readonly allowed: false };

/**
 * Checks a request against the configured token, in constant time: both sides are hashed first,
 * so neither the length nor a prefix of the token leaks through timing. The cookie holds a
 * digest of the token, never the token itself.
 */
export class AccessControl {
  readonly #digest: Buffer | undefined;

  constructor(token: string | undefined) {
    this.#digest = token === undefined ? undefined : digest(token);
  }

  get required(): boolean {
    return this.#digest !== undefined;
  }

  /** What the `Set-Cookie` carries once a `?token=` was accepted. */
  cookieValue(): string {
    return this.#digest === undefined ? '' : digest(this.#digest.toString('hex')).toString('hex');
  }

  check(request: IncomingMessage, queryToken: string | null): AccessDecision {
    const expected = this.#digest;
    if (expected === undefined) return { allowed: true, credential: 'none-required' };
    const header = request.headers.authorization;
    if (typeof header === 'string' && /^bearer /i.test(header)) {
      return same(digest(header.slice(7).trim()), expected) ? { allowed: true, credential: 'bearer' } : { allowed: false };
    }
    const cookie = cookieOf(request, TOKEN_COOKIE);
    if (cookie !== undefined && same(Buffer.from(cookie, 'utf8'), Buffer.from(this.cookieValue(), 'utf8'))) return { allowed: true, credential: 'cookie' };
    if (queryToken !== null && same(digest(queryToken), expected)) return { allowed: true, credential: 'query' };
    return { allowed: false };
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieOf(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * Whether a state-changing request comes from the dashboard's own page: a cross-origin `Origin`
 * or `Sec-Fetch-Site` is refused; a request that carries neither (curl, a script) is accepted only
 * with a bearer token, which a browser never attaches by itself.
 */
export function isSameOrigin(request: IncomingMessage, credential: Credential): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (typeof origin === 'string') {
    const host = request.headers.host;
    if (host === undefined) return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  return typeof site === 'string' || credential === 'bearer';
}

/** `Host` header names a dashboard bound to loopback answers to; anything else may be DNS rebinding. */
export const LOOPBACK_HOST_NAMES: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/** Whether the `Host` header is one of `allowed` (any port), or `allowed` is undefined. */
export function isAllowedHost(request: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined) return true;
  const host = request.headers.host;
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return allowed.includes(name.toLowerCase());
}
