/**
 * The subcommands (`splitcache stats`, `server stop`, `cargo …`). Loaded only
 * when the first argument names one, so the wrapper's start-up never pays for it.
 */
import { runAudit } from './commands/audit.js';
import { runCargo } from './commands/cargo.js';
import { runExplain } from './commands/explain.js';
import { runReport } from './commands/report.js';
import { runGc } from './commands/gc.js';
import { runVerify } from './commands/verify.js';
import { runServer } from './commands/server.js';
import { runServe } from './commands/serve.js';
import { runStats } from './commands/stats.js';

const USAGE = `usage:
  splitcache <rustc> <args…>         as RUSTC_WRAPPER: cache one rustc call
  splitcache cargo <args…>           run cargo with splitcache as its wrapper
  splitcache stats [--json]          hits, misses and pass-throughs
  splitcache audit [--json] [--session S] [--crate C] [--since T]
                                     every hit, miss and pass-through
  splitcache audit verify [--json]   re-hash every blob; evict what is bad
  splitcache gc [--max-size 5G] [--evict-older-than 30d]
                                     evict least recently hit entries
  splitcache explain <crate> [--session S] [--json]
                                     why did this crate miss?
  splitcache report --html <file> [--since T] [--session S]
                                     charts of hits, misses and time saved
  splitcache server stop|status      stop the daemon (uploads flushed first) / show whether it runs
  splitcache serve --dir DIR [--listen HOST:PORT] [--tokens FILE] [--max-size 10G]
                                     run the team cache server (docs/REMOTE.md)
`;

export async function runCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'stats':
      return runStats(rest);
    case 'audit':
      return rest[0] === 'verify' ? runVerify(rest.slice(1)) : runAudit(rest);
    case 'verify':
      return runVerify(rest);
    case 'gc':
      return runGc(rest);
    case 'explain':
      return runExplain(rest);
    case 'report':
      return runReport(rest);
    case 'server':
      return runServer(rest);
    case 'serve':
      return runServe(rest);
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
