import { isDigest } from '@splitcache/hash';
import type { Kind } from './serverIndex.js';

export type Route = { to: 'item'; kind: Kind; key: string } | { to: 'status' } | { to: 'bad'; why: string } | { to: 'none' };

/**
 * Maps a request path to what it names. Only `/cas/<digest>`, `/ac/<key>`
 * (both 32 lower-case hex characters) and `/status` exist. Anything else
 * under /cas/ or /ac/ (a `..`, an encoded slash, a longer or shorter name)
 * is a bad request, so no path from a client ever reaches the file system. A target in the
 * absolute form (`http://host/cas/<digest>`), which a server must take (RFC 9112, 3.2.2), names
 * its path.
 */
export function route(url: string | undefined): Route {
  // The absolute form (`GET http://host/cas/…`, as sent to a proxy) names the same path.
  const path = (url ?? '/').replace(/^https?:\/\/[^/?]*/i, '').split('?')[0] || '/';
  if (path === '/status') return { to: 'status' };
  const m = /^\/(cas|ac)(\/.*)?$/.exec(path);
  if (!m) return { to: 'none' };
  const key = (m[2] ?? '').slice(1);
  if (!isDigest(key)) return { to: 'bad', why: `not a 32-hex-digit key: ${JSON.stringify(path.slice(0, 80))}` };
  return { to: 'item', kind: m[1] === 'cas' ? 'c' : 'a', key };
}
