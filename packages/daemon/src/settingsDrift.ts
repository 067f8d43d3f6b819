import { DERIVED, PROXY_VARS, readConfig } from './config.js';

/** The proxy variables and the CA certificates (config.ts): settings of the daemon's as well. */
const PROXY_NAMES = new Set<string>([...PROXY_VARS.flat(), 'NODE_EXTRA_CA_CERTS']);

/**
 * Variables each call reads for itself (docs/CONFIG.md): a call may differ
 * from the daemon in these without anything being stale.
 */
const PER_CALL = /^SPLITCACHE_(DIR|DISABLE|RECACHE|SESSION|UNCACHED_NOTES|TIMING_LOG|LOG|CLIENT|CLIENT_.*|PARKED_CA_CERTS|PARKED_NODE_OPTIONS|NODE)$/;

/**
 * The variables whose settings differ between two `DaemonConfig.settings`: in effect, and not
 * derived on both sides (config.ts, DERIVED), where the one it is derived from is named instead.
 */
export function settingsDiff(a: Record<string, string>, b: Record<string, string>): string[] {
  const effective = (v: string | undefined) => v?.replace(DERIVED, '');
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => effective(a[k]) !== effective(b[k]) && !(a[k]?.endsWith(DERIVED) && b[k]?.endsWith(DERIVED)));
}

/**
 * A daemon keeps the settings of the client that started it; a call whose
 * environment asks for others (a remote set since, a new size limit) would
 * silently not get them. This finds such calls and words one line for them,
 * at most once a minute per set of settings, so each build shows it once.
 */
export class SettingsDrift {
  /** What each environment gives (by all its SPLITCACHE_* but the session): read once, one readConfig. */
  private readonly looked = new Map<string, { settings: string; diff: string[]; problems: string[] }>();
  /** When each set of settings (the SPLITCACHE_* a call does not read for itself) was last told it is stale. */
  private readonly warnedAt = new Map<string, number>();

  /** `own`: the daemon's `DaemonConfig.settings`. */
  constructor(private readonly own: Record<string, string>, private readonly now: () => number = Date.now) {}

  /**
   * A call's settings, against the daemon's: `stale`, the line to show if they differ and it is
   * time to say so (once a minute per set of settings); `problems`, those of its settings that
   * can't be used (readConfig's): the call's own, where the daemon's start environment's were
   * shown before, so a build that set `SPLITCACHE_LOG=loud` against a running daemon was told
   * nothing, and one that had since dropped a bad `SPLITCACHE_MAX_SIZE` was told of it every
   * minute. One pass over the environment and, per environment seen, one readConfig.
   */
  look(env: NodeJS.ProcessEnv): { stale?: string; problems: string[] } {
    let all = '';
    let settings = '';
    for (const name of Object.keys(env).filter((n) => n.startsWith('SPLITCACHE_') || PROXY_NAMES.has(n)).sort()) {
      const pair = `${name}=${env[name]}\0`;
      if (name !== 'SPLITCACHE_SESSION' && name !== 'SPLITCACHE_UNCACHED_NOTES') all += pair;
      if (!PER_CALL.test(name)) settings += pair;
    }
    let found = this.looked.get(all);
    if (!found) {
      if (this.looked.size >= 64) this.looked.clear();
      const config = readConfig(env);
      found = { settings, diff: settingsDiff(this.own, config.settings), problems: config.problems };
      this.looked.set(all, found);
    }
    if (found.diff.length === 0 || this.now() - (this.warnedAt.get(found.settings) ?? -Infinity) < 60_000) return { problems: found.problems };
    if (this.warnedAt.size >= 64) this.warnedAt.clear();
    this.warnedAt.set(found.settings, this.now());
    const stale = `splitcache: SPLITCACHE_CONFIG_STALE: the running daemon has other settings than this build for ${found.diff.join(', ')}; run \`splitcache server stop\` to apply this build's`;
    return { stale, problems: found.problems };
  }

  /** The stale-settings line alone (look()). */
  check(env: NodeJS.ProcessEnv): string | undefined {
    return this.look(env).stale;
  }
}
