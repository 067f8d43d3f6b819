import type { LogLevel } from './config.js';

/** The daemon's log goes to its stderr, which the client points at `<dir>/daemon.log`. */
export function makeLogger(level: LogLevel) {
  const stamp = () => new Date().toISOString();
  return {
    debug: (msg: string) => {
      if (level === 'debug') process.stderr.write(`${stamp()} debug ${msg}\n`);
    },
    warn: (msg: string) => {
      if (level !== 'quiet') process.stderr.write(`${stamp()} warn ${msg}\n`);
    },
  };
}
export type Logger = ReturnType<typeof makeLogger>;
