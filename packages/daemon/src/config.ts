import { hostname } from 'node:os';
import type { RemoteCacheOptions } from '@splitcache/remote';
import { parseSize } from '@splitcache/store';
import { settingValue, speaksTls, storeDir } from './protocol.js';

export type LogLevel = 'quiet' | 'warn' | 'debug';

/** The environment's proxy settings, as the remote reads them (the lower-case name first). */
export const PROXY_VARS = [['HTTPS_PROXY', 'https_proxy'], ['HTTP_PROXY', 'http_proxy'], ['ALL_PROXY', 'all_proxy'], ['NO_PROXY', 'no_proxy']] as const;

/** The remote tier's settings (docs/CONFIG.md, "Remote"). */
export interface RemoteSettings extends RemoteCacheOptions {
  /** read-only: look up, never upload (untrusted PR runners). */
  mode: 'read-write' | 'read-only';
  /** How long `splitcache server stop` waits for the upload queue to drain. */
  flushTimeoutMs: number;
}

/** Daemon settings, read from the environment the first client started it with. See docs/CONFIG.md. */
export interface DaemonConfig {
  dir: string;
  /** SPLITCACHE_IDLE_TIMEOUT (default 600 s; `0`: never, as sccache's): Infinity for never. */
  idleTimeoutMs: number;
  logLevel: LogLevel;
  producer: string;
  baseDirs: string[];
  /** SPLITCACHE_REMAP=1: add --remap-path-prefix for the machine-specific prefixes. */
  remap: boolean;
  /** SPLITCACHE_AUDIT_DAYS (default 90; `0`: for good): how long the audit log keeps a call's line, in ms; Infinity for good. */
  auditKeepMs: number;
  /** SPLITCACHE_MAX_SIZE (default 10G; `0`: no limit, as ccache's): gc evicts least recently hit entries beyond it. */
  maxBytes: number;
  /** SPLITCACHE_MAX_ENTRY_SIZE (default: a quarter of max-size, at most 2G; `0`: no limit but max-size's): a larger result is not stored. */
  maxEntryBytes: number;
  remote: RemoteSettings | undefined;
  /**
   * Each setting given a value it can't take, worded for the user with what
   * is used instead. A bad setting falls back to its default (a bad remote
   * setting turns the remote off), never turns off the cache.
   */
  problems: string[];
  /**
   * Each setting above by the variable that sets it, as a comparable string:
   * effective values (sizes parsed, defaults filled in; with no remote, the
   * remote's as its defaults with no URL, REMOTE_VARS). Secrets are among them:
   * compared, never shown.
   */
  settings: Record<string, string>;
}

/**
 * The remote's variables, by the setting each takes effect as. With no remote (none set, or
 * `SPLITCACHE_REMOTE_MODE=off`), none of them does: they compare as a remote of no URL with
 * the defaults, so a remote set since is named by SPLITCACHE_REMOTE alone. Compared as given,
 * a build with `SPLITCACHE_REMOTE_TIMEOUT=3` and no remote was told its daemon was stale.
 */
const REMOTE_VARS: [string, (r: RemoteSettings) => unknown][] = [
  ['SPLITCACHE_REMOTE', (r) => r.url], ['SPLITCACHE_REMOTE_MODE', (r) => r.mode], ['SPLITCACHE_REMOTE_TOKEN', (r) => r.token],
  ['SPLITCACHE_SIGNING_KEY', (r) => r.signingKey], ['SPLITCACHE_REMOTE_TIMEOUT', (r) => r.timeoutMs], ['SPLITCACHE_REMOTE_RETRIES', (r) => r.retries],
  ['SPLITCACHE_REMOTE_BREAKER', (r) => r.breakerThreshold], ['SPLITCACHE_REMOTE_COOLDOWN', (r) => r.breakerCooldownMs],
  ['SPLITCACHE_REMOTE_FLUSH_TIMEOUT', (r) => r.flushTimeoutMs], ['SPLITCACHE_REMOTE_COMPRESS', (r) => r.compression],
];

/**
 * Marks a setting whose value, unset, comes from another's (the entry limit from the size limit).
 * settingsDiff names it only where one side set it: after a change of SPLITCACHE_MAX_SIZE alone,
 * builds and `server status` also named SPLITCACHE_MAX_ENTRY_SIZE, which the user never set.
 */
export const DERIVED = ' (derived)';

const GiB = 2 ** 30;
/** The longest delay a node timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function readConfig(given: NodeJS.ProcessEnv): DaemonConfig {
  const r = new SettingReader(given);
  const env = r.env;
  const maxBytes = r.size('SPLITCACHE_MAX_SIZE', 10 * GiB, '10G');
  const dir = storeDir(env);
  if (env.SPLITCACHE_DIR && env.SPLITCACHE_DIR !== dir) r.problems.push(`SPLITCACHE_DIR must be an absolute path, not ${JSON.stringify(env.SPLITCACHE_DIR)}; using ${dir}`);
  const c = {
    dir,
    idleTimeoutMs: r.seconds('SPLITCACHE_IDLE_TIMEOUT', 600, Infinity),
    logLevel: r.oneOf('SPLITCACHE_LOG', ['warn', 'quiet', 'debug'] as const),
    producer: r.shownName('SPLITCACHE_PRODUCER', hostname()),
    baseDirs: r.absolutePaths('SPLITCACHE_BASEDIRS'),
    remap: r.onOff('SPLITCACHE_REMAP', 'remap is off'),
    maxBytes,
    auditKeepMs: r.days('SPLITCACHE_AUDIT_DAYS', 90),
    // Never more than the store holds: a result larger than the whole store, set free by `0` or a
    // larger setting, made gc evict every entry (LRU, the newest alone over the limit) and then
    // itself, and the builds after missed what fit twenty times over.
    maxEntryBytes: Math.min(maxBytes, r.size('SPLITCACHE_MAX_ENTRY_SIZE', Math.min(2 * GiB, maxBytes / 4), 'a quarter of the max size, at most 2G')),
    remote: readRemote(r),
  };
  // Per-call settings, read by bin/splitcache and the client, which can't say much: checked here,
  // so that a value they can't take is named as any other setting's is. SPLITCACHE_CLIENT=bash
  // took the exec port with no word; each takes one value, anything else is its default.
  r.oneOf('SPLITCACHE_CLIENT', ['node'], 'using the exec port where it can');
  r.oneOf('SPLITCACHE_CLIENT_SOCKET', ['net'], 'using the raw pipe where tested');
  r.oneOf('SPLITCACHE_CLIENT_SPAWN', ['node'], 'using the raw spawn where tested');
  const settings: Record<string, string> = {
    SPLITCACHE_IDLE_TIMEOUT: String(c.idleTimeoutMs),
    SPLITCACHE_PRODUCER: c.producer,
    SPLITCACHE_BASEDIRS: c.baseDirs.join(':'),
    SPLITCACHE_REMAP: String(c.remap),
    SPLITCACHE_MAX_SIZE: String(c.maxBytes),
    SPLITCACHE_AUDIT_DAYS: String(c.auditKeepMs),
    SPLITCACHE_MAX_ENTRY_SIZE: `${c.maxEntryBytes}${env.SPLITCACHE_MAX_ENTRY_SIZE === undefined ? DERIVED : ''}`,
  };
  const remote = c.remote ?? { ...readRemote(new SettingReader({ SPLITCACHE_REMOTE: 'http://none/' }))!, url: '' };
  for (const [name, value] of REMOTE_VARS) settings[name] = String(value(remote) ?? '');
  // The proxy the remote is reached through (remote/src/proxyFor.ts) is the daemon's from its start
  // too: a build that set another since got 0 remote hits, and nothing said why (a helper's finding).
  for (const [name, lower] of PROXY_VARS) settings[name] = c.remote ? (env[lower] || env[name] || '') : '';
  // So are the CA certificates where it speaks TLS: a daemon started by a build without them failed
  // every lookup of a remote behind a private CA for the builds that set them since, with no word
  // of why. A call's are NODE_EXTRA_CA_CERTS (the node client restores them; bash's are as set).
  settings.NODE_EXTRA_CA_CERTS = c.remote && speaksTls(env) ? (env.NODE_EXTRA_CA_CERTS ?? env.SPLITCACHE_PARKED_CA_CERTS ?? '') : '';
  return { ...c, problems: r.problems, settings };
}

function readRemote(r: SettingReader): RemoteSettings | undefined {
  const url = r.env.SPLITCACHE_REMOTE;
  const mode = r.env.SPLITCACHE_REMOTE_MODE || 'read-write';
  if (!url || mode === 'off') return undefined;
  if (mode !== 'read-write' && mode !== 'read-only') {
    r.problems.push(`SPLITCACHE_REMOTE_MODE must be read-write, read-only or off, not ${JSON.stringify(mode)}; the remote cache is off`);
    return undefined;
  }
  if (!isHttpUrl(url)) {
    r.problems.push(`SPLITCACHE_REMOTE is not an http(s) URL: ${JSON.stringify(url)}; the remote cache is off`);
    return undefined;
  }
  if (!userInfoDecodes(url)) {
    // Not shown: the user info is a credential.
    r.problems.push('SPLITCACHE_REMOTE has a user name or password that is not valid %-encoding; the remote cache is off');
    return undefined;
  }
  return {
    url,
    mode,
    token: r.headerValue('SPLITCACHE_REMOTE_TOKEN'),
    // Blanks around it dropped, as the token's: a key from a file or a secret store that keeps its
    // trailing newline signed otherwise than the same key typed, and every record of one runner
    // was a bad signature to the other (0 of 28 hits; a helper's two-runner hunt).
    signingKey: r.env.SPLITCACHE_SIGNING_KEY?.trim() || undefined,
    timeoutMs: r.seconds('SPLITCACHE_REMOTE_TIMEOUT', 3),
    retries: r.count('SPLITCACHE_REMOTE_RETRIES', 2, 0, 10),
    breakerThreshold: r.count('SPLITCACHE_REMOTE_BREAKER', 3, 1),
    breakerCooldownMs: r.seconds('SPLITCACHE_REMOTE_COOLDOWN', 30),
    flushTimeoutMs: r.seconds('SPLITCACHE_REMOTE_FLUSH_TIMEOUT', 30),
    compression: r.oneOf('SPLITCACHE_REMOTE_COMPRESS', ['gzip', 'none'] as const),
  };
}

/** Whether the URL's user name and password %-decode, as the remote's Basic credentials are made from them. */
function userInfoDecodes(url: string): boolean {
  try {
    const u = new URL(url);
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Reads typed settings from the environment. Unset, empty or only blanks is the default;
 * any other value that doesn't parse is the default too, and a line in
 * `problems` names the variable, the value and what is used instead.
 */
class SettingReader {
  readonly problems: string[] = [];
  /**
   * The environment with every SPLITCACHE_* of only blanks left out, so that each setting, read
   * here or by `env.X || default`, takes them as unset: `SPLITCACHE_PRODUCER="  "` was the
   * producer of every entry, and a call without it was told its daemon's producer differed.
   */
  readonly env: NodeJS.ProcessEnv;
  constructor(env: NodeJS.ProcessEnv) {
    this.env = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('SPLITCACHE_') || settingValue(env, k) !== undefined));
  }

  /** The variable's value, undefined when unset: `Number(' ')` is 0, which `never` or `no limit` would take. */
  private value(name: string): string | undefined {
    return this.env[name];
  }

  /**
   * Positive seconds, as milliseconds; `0` is `zero` where one is given (as is, not scaled).
   * Beyond what a timer holds (2^31-1 ms, 24.8 days; node fires a longer one after 1 ms) it is
   * `zero` (never) where there is one, else that longest timer.
   */
  seconds(name: string, dflt: number, zero?: number): number {
    const v = this.value(name);
    if (v === undefined) return dflt * 1000;
    const n = Number(v);
    if (n === 0 && zero !== undefined) return zero;
    if (Number.isFinite(n) && n > 0) return n * 1000 > MAX_TIMER_MS ? (zero ?? MAX_TIMER_MS) : n * 1000;
    return this.bad(name, `a number of seconds${zero !== undefined ? ' (0: never)' : ' above 0'}`, `${dflt}`, dflt * 1000);
  }

  /** Days, as milliseconds; `0` is Infinity (for good). */
  days(name: string, dflt: number): number {
    const v = this.value(name);
    if (v === undefined) return dflt * 864e5;
    const n = Number(v);
    if (n === 0) return Infinity;
    return Number.isFinite(n) && n > 0 ? n * 864e5 : this.bad(name, 'a number of days (0: for good)', `${dflt}`, dflt * 864e5);
  }

  /**
   * A whole number in decimal digits, from `min` to `max`. Number() took `1e3`, `0x10` and
   * `18446744073709551616`; and `SPLITCACHE_REMOTE_RETRIES=11` held each failing lookup for a minute
   * (the waits between tries double), 20 for hours.
   */
  count(name: string, dflt: number, min: number, max = 1_000_000): number {
    const v = this.value(name);
    if (v === undefined) return dflt;
    const n = /^\s*\d{1,9}\s*$/.test(v) ? Number(v) : NaN;
    return n >= min && n <= max ? n : this.bad(name, `a whole number from ${min} to ${max}`, `${dflt}`, dflt);
  }

  /** A size (`10G`, `500M`, `2GiB`, bytes); `0` is no limit. */
  size(name: string, dflt: number, dfltText: string): number {
    const v = this.value(name);
    if (v === undefined) return dflt;
    const n = parseSize(v);
    if (n === 0) return Infinity;
    return n ?? this.bad(name, 'a size such as 10G or 500M (0: no limit)', dfltText, dflt);
  }

  /**
   * A switch: `1`, `true`, `yes`, `on` (any case) on; `0`, `false`, `no`, `off` off, as
   * SPLITCACHE_DISABLE reads them (switchedOn); anything else is named, and off. `true` was
   * refused where SPLITCACHE_DISABLE took it (an error-message audit's find).
   */
  onOff(name: string, instead: string): boolean {
    const v = this.value(name);
    if (v === undefined || /^(0|false|no|off)$/i.test(v.trim())) return false;
    if (/^(1|true|yes|on)$/i.test(v.trim())) return true;
    this.problems.push(`${name} must be 1 (or true, yes, on) or 0 (or false, no, off), not ${JSON.stringify(v)}; ${instead}`);
    return false;
  }

  /** One of `values`; the first is the default. */
  oneOf<T extends string>(name: string, values: readonly T[], instead = `using ${values[0]}`): T {
    const v = this.value(name);
    if (v === undefined) return values[0]!;
    if ((values as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name} must be ${values.join(', ').replace(/, ([^,]+)$/, ' or $1')}, not ${JSON.stringify(v)}; ${instead}`);
    return values[0]!;
  }

  /**
   * A value sent in an HTTP header (the remote's token): blanks around it are dropped (a token
   * read from a CRLF file, `$(cat token.txt)`, keeps its `\r`), and one with a control character
   * left is not used (named, never shown: it is a secret). undici refuses such a header, and each
   * refused request held one of its pool's slots: from the ninth on, a lookup never ended, and
   * the build hung with it.
   */
  headerValue(name: string): string | undefined {
    const v = this.value(name)?.trim();
    if (v === undefined) return undefined;
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(v)) {
      this.problems.push(`${name} holds a control character (a line break, a tab); it is not used`);
      return undefined;
    }
    return v;
  }

  /**
   * A name that readers are shown (the producer, in `audit` and `explain`): other machines'
   * readers refuse an entry whose producer holds a control character or is over 256 characters
   * (remote/checkEntry.ts), so such a value is not used.
   */
  shownName(name: string, dflt: string): string {
    const v = this.value(name);
    if (!v) return dflt;
    if (v.length > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(v)) {
      this.problems.push(`${name} holds a control character or is over 256 characters; using ${JSON.stringify(dflt)}`);
      return dflt;
    }
    return v;
  }

  /** `:`-separated absolute paths; a relative one is left out. */
  absolutePaths(name: string): string[] {
    const parts = (this.env[name] ?? '').split(':').filter(Boolean);
    const relative = parts.filter((d) => !d.startsWith('/'));
    if (relative.length > 0) this.problems.push(`${name} takes absolute paths, not ${relative.map((d) => JSON.stringify(d)).join(', ')}; left out`);
    return parts.filter((d) => d.startsWith('/'));
  }

  private bad<T>(name: string, what: string, dfltText: string, dflt: T): T {
    this.problems.push(`${name} is not ${what}: ${JSON.stringify(this.env[name])}; using ${dfltText}`);
    return dflt;
  }
}
