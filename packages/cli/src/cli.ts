/**
 * The subcommands (`splitcache stats`, `server stop`, `cargo …`). Loaded only
 * when the first argument names one, so the wrapper's start-up never pays for it.
 */
import { runAudit } from './commands/audit.js';
import { runCargo } from './commands/cargo.js';
import { runExplain } from './commands/explain.js';
import { runServer } from './commands/server.js';
import { runStats } from './commands/stats.js';

const USAGE = `usage:
  splitcache <rustc> <args…>         as RUSTC_WRAPPER: cache one rustc call
  splitcache cargo <args…>           run cargo with splitcache as its wrapper
  splitcache stats [--json]          hits, misses and pass-throughs
  splitcache audit [--json] [--session S] [--crate C] [--since T]
                                     every hit, miss and pass-through
  splitcache explain <crate> [--session S] [--json]
                                     why did this crate miss?
  splitcache server stop|status      stop the daemon / show whether it runs
`;

export async function runCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'stats':
      return runStats(rest);
    case 'audit':
      return runAudit(rest);
    case 'explain':
      return runExplain(rest);
    case 'server':
      return runServer(rest);
    case 'cargo':
      return runCargo(rest);
    case '--version':
      process.stdout.write('splitcache 0.1.0\n');
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`splitcache: '${cmd}' is not available yet\n${USAGE}`);
      return 2;
  }
}
