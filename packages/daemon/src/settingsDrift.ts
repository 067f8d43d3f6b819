import { readConfig } from './config.js';

/**
 * Variables each call reads for itself (docs/CONFIG.md): a call may differ
 * from the daemon in these without anything being stale.
 */
const PER_CALL = /^SPLITCACHE_(DIR|DISABLE|RECACHE|SESSION|TIMING_LOG|LOG|CLIENT|CLIENT_.*|PARKED_CA_CERTS|PARKED_NODE_OPTIONS|NODE)$/;

/** The variables whose settings differ between two `DaemonConfig.settings`. */
export function settingsDiff(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
}

/**
 * A daemon keeps the settings of the client that started it; a call whose
 * environment asks for others (a remote set since, a new size limit) would
 * silently not get them. This finds such calls and words one line for them,
 * at most once a minute per set of settings, so each build shows it once.
 */
export class SettingsDrift {
  private readonly seen = new Map<string, { diff: string[]; warnedAt: number }>();
  private readonly problemsByEnv = new Map<string, string[]>();

  /** `own`: the daemon's `DaemonConfig.settings`. */
  constructor(private readonly own: Record<string, string>, private readonly now: () => number = Date.now) {}

  /** The line to show this call, if its settings differ from the daemon's and it is time to say so. */
  check(env: NodeJS.ProcessEnv): string | undefined {
    let fingerprint = '';
    for (const name of Object.keys(env).filter((n) => n.startsWith('SPLITCACHE_') && !PER_CALL.test(n)).sort()) fingerprint += `${name}=${env[name]}\0`;
    let known = this.seen.get(fingerprint);
    if (!known) {
      if (this.seen.size >= 64) this.seen.clear();
      known = { diff: settingsDiff(this.own, readConfig(env).settings), warnedAt: -Infinity };
      this.seen.set(fingerprint, known);
    }
    if (known.diff.length === 0 || this.now() - known.warnedAt < 60_000) return undefined;
    known.warnedAt = this.now();
    return `splitcache: SPLITCACHE_CONFIG_STALE: the running daemon has other settings than this build for ${known.diff.join(', ')}; run \`splitcache server stop\` to apply this build's`;
  }

  /**
   * The settings this call's environment gives that can't be used (readConfig's `problems`):
   * its own, where the daemon's start environment's were shown before. So a build that set
   * `SPLITCACHE_LOG=loud` against a running daemon was told nothing, and one that had since
   * dropped a bad `SPLITCACHE_MAX_SIZE` was told of it every minute.
   */
  problems(env: NodeJS.ProcessEnv): string[] {
    let fingerprint = '';
    for (const name of Object.keys(env).filter((n) => n.startsWith('SPLITCACHE_') && n !== 'SPLITCACHE_SESSION').sort()) fingerprint += `${name}=${env[name]}\0`;
    let found = this.problemsByEnv.get(fingerprint);
    if (!found) {
      if (this.problemsByEnv.size >= 64) this.problemsByEnv.clear();
      found = readConfig(env).problems;
      this.problemsByEnv.set(fingerprint, found);
    }
    return found;
  }
}
