import { hostname } from 'node:os';
import { storeDir } from './protocol.js';

export type LogLevel = 'quiet' | 'warn' | 'debug';

/** Daemon settings, read from the environment the first client started it with. See docs/CONFIG.md. */
export interface DaemonConfig {
  dir: string;
  idleTimeoutMs: number;
  logLevel: LogLevel;
  producer: string;
  baseDirs: string[];
  /** SPLITCACHE_REMAP=1: add --remap-path-prefix for the machine-specific prefixes. */
  remap: boolean;
}

export function readConfig(env: NodeJS.ProcessEnv): DaemonConfig {
  const idle = Number(env.SPLITCACHE_IDLE_TIMEOUT ?? 600);
  return {
    dir: storeDir(env),
    idleTimeoutMs: (Number.isFinite(idle) && idle > 0 ? idle : 600) * 1000,
    logLevel: parseLogLevel(env.SPLITCACHE_LOG),
    producer: env.SPLITCACHE_PRODUCER || hostname(),
    baseDirs: (env.SPLITCACHE_BASEDIRS ?? '').split(':').filter((d) => d.startsWith('/')),
    remap: env.SPLITCACHE_REMAP === '1',
  };
}

export function parseLogLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'quiet' ? v : 'warn';
}
