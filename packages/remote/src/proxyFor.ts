import { BlockList, isIP } from 'node:net';
import { SplitcacheError } from '@splitcache/errors';

/**
 * The proxy a request to `url` goes through, as curl and reqwest (sccache's client) read the
 * environment: `https_proxy`/`HTTPS_PROXY` for an https URL, `http_proxy`/`HTTP_PROXY` for an
 * http one (the lower-case name first; the upper-case HTTP_PROXY too, as reqwest reads it, where
 * curl reads http_proxy alone), else `all_proxy`/`ALL_PROXY` unless it is a SOCKS proxy, unless `no_proxy`/`NO_PROXY` names the host (an empty lower-case one is
 * unset, as for curl). A NO_PROXY entry is `*` (no proxy at all), a host name matching it and its
 * subdomains (`example.com`, `.example.com`), an IP address, each with an optional `:port`, or an
 * address range (`10.0.0.0/8`). A CI runner behind a corporate proxy reached no remote: every
 * lookup timed out, and the build ran uncached. A value that is no http(s) URL is
 * SPLITCACHE_CONFIG, naming its variable.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): string | undefined {
  const https = url.protocol === 'https:';
  const named = https ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  let name = named.find((n) => env[n]?.trim());
  // ALL_PROXY where the scheme's own is unset, as curl and reqwest read it. A SOCKS proxy there is
  // left alone (the remote is reached directly): ssh -D sets one for a browser, and this client
  // speaks no SOCKS; refusing the remote for it lost the hits of a remote reached directly.
  if (!name) {
    const all = ['all_proxy', 'ALL_PROXY'].find((n) => env[n]?.trim());
    if (all && !/^socks[45]?[ah]?:/i.test(env[all]!.trim())) name = all;
  }
  const proxy = name && env[name]!.trim();
  if (!name || !proxy) return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port || (https ? '443' : '80');
  for (const raw of (env.no_proxy || env.NO_PROXY || '').split(/[\s,]+/)) {
    if (!raw) continue;
    if (raw === '*') return undefined;
    // An address range (10.0.0.0/8, fd00::/8), as curl 7.86 and later take one.
    const range = /^\[?([^\]/]+)\]?\/(\d{1,3})$/.exec(raw);
    if (range) {
      if (inRange(host, range[1]!, Number(range[2]))) return undefined;
      continue;
    }
    // An IPv6 address without brackets has no port.
    const m = /^[^[\]]*:[^[\]]*:/.test(raw) ? [raw, raw.toLowerCase(), undefined] : /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw.toLowerCase());
    if (!m) continue;
    const name = m[1]!.replace(/^\[(.*)\]$/, '$1').replace(/^\*?\./, '');
    if (m[2] && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  const full = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  // Named by its variable: a garbage value made the daemon load no remote, said in its log alone.
  let parsed: URL | undefined;
  try {
    parsed = new URL(full);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    // Its credentials left out: the line goes to the build's output.
    const shown = proxy.replace(/^([^/]*\/\/)?[^@/]*@/, (_m, scheme: string | undefined) => `${scheme ?? ''}…@`);
    throw new SplitcacheError('SPLITCACHE_CONFIG', `${name}=${JSON.stringify(shown)} is not an http(s) proxy URL, so the remote is not used`);
  }
  return full;
}

/** Whether `host`, an IP address, is in `base`/`bits` (a host name is in no range). */
function inRange(host: string, base: string, bits: number): boolean {
  const family = isIP(base);
  if (family === 0 || isIP(host) !== family || bits > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(base, bits, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The Proxy-Authorization of a proxy URL's credentials, or none. undici sends one only for a user
 * and a password; `http://user@proxy` sent none, where curl sends `user:` (a proxy that keys on the
 * user name alone refused every request). A user name that is no valid %-encoding is
 * SPLITCACHE_CONFIG (undici's own decoding threw an error of no code).
 */
export function proxyAuthorization(proxy: string): string | undefined {
  const p = new URL(proxy);
  if (!p.username && !p.password) return undefined;
  try {
    return basicAuthorization(p);
  } catch {
    throw new SplitcacheError('SPLITCACHE_CONFIG', `the proxy ${p.protocol}//${p.host} has a user name or password that is not valid %-encoding, so the remote is not used`);
  }
}

/** `Basic` credentials of a URL's user name and password, %-decoded (a URIError where they don't decode). */
export function basicAuthorization(u: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
}
