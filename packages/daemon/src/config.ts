import { hostname } from 'node:os';
import type { RemoteCacheOptions } from '@splitcache/remote';
import { parseSize } from '@splitcache/store';
import { storeDir } from './protocol.js';

export type LogLevel = 'quiet' | 'warn' | 'debug';

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
  idleTimeoutMs: number;
  logLevel: LogLevel;
  producer: string;
  baseDirs: string[];
  /** SPLITCACHE_REMAP=1: add --remap-path-prefix for the machine-specific prefixes. */
  remap: boolean;
  /** SPLITCACHE_MAX_SIZE (default 10G): gc evicts least recently hit entries beyond it. */
  maxBytes: number;
  /** SPLITCACHE_MAX_ENTRY_SIZE (default: a quarter of max-size, at most 2G): a larger result is not stored. */
  maxEntryBytes: number;
  remote: RemoteSettings | undefined;
  /** Why the SPLITCACHE_REMOTE* settings were ignored: a bad remote setting disables the remote, never the cache. */
  remoteProblem?: string;
  /**
   * Each setting above by the variable that sets it, as a comparable string:
   * effective values (sizes parsed, defaults filled in), and the remote's
   * variables as given. Secrets are among them: compared, never shown.
   */
  settings: Record<string, string>;
}

/** The remote's variables, compared as given (unset and empty alike). */
const REMOTE_VARS = [
  'SPLITCACHE_REMOTE', 'SPLITCACHE_REMOTE_MODE', 'SPLITCACHE_REMOTE_TOKEN', 'SPLITCACHE_SIGNING_KEY', 'SPLITCACHE_REMOTE_TIMEOUT',
  'SPLITCACHE_REMOTE_RETRIES', 'SPLITCACHE_REMOTE_BREAKER', 'SPLITCACHE_REMOTE_COOLDOWN', 'SPLITCACHE_REMOTE_FLUSH_TIMEOUT', 'SPLITCACHE_REMOTE_COMPRESS',
];

export function readConfig(env: NodeJS.ProcessEnv): DaemonConfig {
  const c = {
    dir: storeDir(env),
    idleTimeoutMs: seconds(env.SPLITCACHE_IDLE_TIMEOUT, 600),
    logLevel: parseLogLevel(env.SPLITCACHE_LOG),
    producer: env.SPLITCACHE_PRODUCER || hostname(),
    baseDirs: (env.SPLITCACHE_BASEDIRS ?? '').split(':').filter((d) => d.startsWith('/')),
    remap: env.SPLITCACHE_REMAP === '1',
    maxBytes: parseSize(env.SPLITCACHE_MAX_SIZE) ?? 10 * 2 ** 30,
    maxEntryBytes: parseSize(env.SPLITCACHE_MAX_ENTRY_SIZE) ?? Math.min(2 * 2 ** 30, (parseSize(env.SPLITCACHE_MAX_SIZE) ?? 10 * 2 ** 30) / 4),
    ...readRemote(env),
  };
  const settings: Record<string, string> = {
    SPLITCACHE_IDLE_TIMEOUT: String(c.idleTimeoutMs),
    SPLITCACHE_PRODUCER: c.producer,
    SPLITCACHE_BASEDIRS: c.baseDirs.join(':'),
    SPLITCACHE_REMAP: String(c.remap),
    SPLITCACHE_MAX_SIZE: String(c.maxBytes),
    SPLITCACHE_MAX_ENTRY_SIZE: String(c.maxEntryBytes),
  };
  for (const name of REMOTE_VARS) settings[name] = env[name] ?? '';
  return { ...c, settings };
}

function readRemote(env: NodeJS.ProcessEnv): Pick<DaemonConfig, 'remote' | 'remoteProblem'> {
  const url = env.SPLITCACHE_REMOTE;
  const mode = env.SPLITCACHE_REMOTE_MODE || 'read-write';
  if (!url || mode === 'off') return { remote: undefined };
  if (mode !== 'read-write' && mode !== 'read-only') {
    return { remote: undefined, remoteProblem: `SPLITCACHE_REMOTE_MODE must be read-write, read-only or off, not ${JSON.stringify(mode)}` };
  }
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return { remote: undefined, remoteProblem: `SPLITCACHE_REMOTE is not an http(s) URL: ${JSON.stringify(url)}` };
  }
  const compress = env.SPLITCACHE_REMOTE_COMPRESS || 'gzip';
  return {
    remote: {
      url,
      mode,
      token: env.SPLITCACHE_REMOTE_TOKEN || undefined,
      signingKey: env.SPLITCACHE_SIGNING_KEY || undefined,
      timeoutMs: seconds(env.SPLITCACHE_REMOTE_TIMEOUT, 3),
      retries: count(env.SPLITCACHE_REMOTE_RETRIES, 2),
      breakerThreshold: Math.max(1, count(env.SPLITCACHE_REMOTE_BREAKER, 3)),
      breakerCooldownMs: seconds(env.SPLITCACHE_REMOTE_COOLDOWN, 30),
      flushTimeoutMs: seconds(env.SPLITCACHE_REMOTE_FLUSH_TIMEOUT, 30),
      compression: compress === 'none' ? 'none' : 'gzip',
    },
  };
}

/** A positive number of seconds, as milliseconds; anything else is the default. */
function seconds(v: string | undefined, dflt: number): number {
  const n = Number(v ?? dflt);
  return (Number.isFinite(n) && n > 0 ? n : dflt) * 1000;
}

function count(v: string | undefined, dflt: number): number {
  const n = Number(v ?? dflt);
  return Number.isInteger(n) && n >= 0 ? n : dflt;
}

export function parseLogLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'quiet' ? v : 'warn';
}
