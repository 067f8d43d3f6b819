import type { LogLevel } from './config.js';
import type { LogRotation } from './logRotation.js';

/** The daemon's log goes to its stderr, which the client points at `<dir>/daemon.log` (kept within a bound by `rotation`). */
export function makeLogger(level: LogLevel, rotation?: LogRotation) {
  const stamp = () => new Date().toISOString();
  /** Lines kept while the store's file system hangs (storeStall.ts), where the log is: a write there blocks the whole daemon. */
  let held: string[] | undefined;
  const write = (line: string) => {
    if (held) return void (held.length < HELD_LINES && held.push(line));
    process.stderr.write(line);
    // In bytes, as the file grows: a line of non-ASCII paths is up to three times its length in characters.
    rotation?.wrote(Buffer.byteLength(line));
  };
  return {
    /** Keeps lines in memory from now on, until release(). */
    hold: () => {
      held ??= [];
    },
    release: () => {
      const lines = held ?? [];
      held = undefined;
      for (const line of lines) write(line);
    },
    debug: (msg: string) => {
      if (level === 'debug') write(`${stamp()} debug ${msg}\n`);
    },
    warn: (msg: string) => {
      if (level !== 'quiet') write(`${stamp()} warn ${msg}\n`);
    },
    /**
     * From now on, debug lines too: a build that asks for them (SPLITCACHE_LOG=debug) from a
     * daemon started without got none, and no word of why.
     */
    debugFromNowOn: () => {
      level = 'debug';
    },
    /** Whether debug lines are written (for a caller that would otherwise put one together for nothing). */
    debugging: () => level === 'debug',
  };
}
export type Logger = ReturnType<typeof makeLogger>;

/** At most this many lines are kept while the log is held. */
const HELD_LINES = 1000;
