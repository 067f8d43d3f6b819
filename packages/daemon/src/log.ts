import type { LogLevel } from './config.js';
import type { LogRotation } from './logRotation.js';

/** The daemon's log goes to its stderr, which the client points at `<dir>/daemon.log` (kept within a bound by `rotation`). */
export function makeLogger(level: LogLevel, rotation?: LogRotation) {
  const stamp = () => new Date().toISOString();
  const write = (line: string) => {
    process.stderr.write(line);
    rotation?.wrote(line.length);
  };
  return {
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
