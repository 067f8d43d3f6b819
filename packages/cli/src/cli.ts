/**
 * The subcommands (`splitcache stats`, `server stop`, `cargo …`). Loaded only
 * when the first argument names one, so the wrapper's start-up never pays for it.
 */
import { oneLine } from '@splitcache/errors';
import { endQuietlyWhenReaderGoes } from './readerGone.js';

// Each command is imported when it runs: `serve` alone pulls in undici and the
// server (~400 ms of module loading here), which `stats` should never pay for.
const USAGE = `usage:
  splitcache <rustc> <args…>         as RUSTC_WRAPPER: cache one rustc call
  splitcache cargo <args…>           run cargo with splitcache as its wrapper
  splitcache stats [--json]          store size, hits, misses and pass-throughs
  splitcache stats --zero            set those counters back to zero (the audit log is kept)
  splitcache audit [--json] [--session S] [--crate C] [--since T] [--origin O]
                                     every hit, miss and pass-through
  splitcache audit verify [--json]   re-hash every blob; evict what is bad
                                     (also spelled splitcache verify)
  splitcache gc [--max-size 5G] [--evict-older-than 30d] [--json]
                                     evict least recently hit entries (--max-size 0: no limit)
  splitcache clear [--json]          remove every entry and blob (the counters are kept)
  splitcache explain <crate> [--session S] [--type T] [--json]
                                     why did this crate miss?
  splitcache report --html <file> [--since T] [--session S]
                                     charts of hits, misses and time saved
  splitcache server start|stop|status
                                     start the daemon now / stop it (uploads flushed first) /
                                     show whether it runs
  splitcache serve --dir DIR [--listen HOST:PORT] [--tokens FILE] [--max-size N] [--max-body N]
                   [--access-log FILE]
                                     run the team cache server (docs/REMOTE.md); no size limit
                                     unless --max-size gives one (0: none)

Each command's own flags: splitcache <command> --help (or -h, or splitcache help <command>).

sccache's and ccache's spellings work too: -s/--show-stats, -z/--zero-stats, -C/--clear,
--start-server, --stop-server, -V/--version.

per call: SPLITCACHE_DISABLE=1 goes straight to rustc; SPLITCACHE_RECACHE=1 compiles and
replaces the stored entry. Settings: docs/CONFIG.md
`;

/** sccache's and ccache's options, as the commands they mean here, for fingers used to them. */
const ALIASES: Record<string, string[]> = {
  '-s': ['stats'],
  '--show-stats': ['stats'],
  '-z': ['stats', '--zero'],
  '--zero-stats': ['stats', '--zero'],
  '-C': ['clear'],
  '--clear': ['clear'],
  '--start-server': ['server', 'start'],
  '--stop-server': ['server', 'stop'],
  '-V': ['--version'],
};

/** sccache's options that have no alias here, and what to run instead. */
const SCCACHE_INSTEAD: Record<string, string> = {
  '--stats-format': 'splitcache stats --json',
  '--show-adv-stats': 'splitcache stats',
};

export async function runCli(argv: string[]): Promise<number> {
  // Every command alike: `splitcache audit | head -1` ends as `git log | head -1` does.
  endQuietlyWhenReaderGoes();
  try {
    return await runCommand(argv);
  } catch (err) {
    // A fault no command says in its own words: one line, and where it came from only under SPLITCACHE_LOG=debug.
    process.stderr.write(`splitcache: ${process.env.SPLITCACHE_LOG === 'debug' ? ((err as Error)?.stack ?? String(err)) : oneLine(err)}\n`);
    return 1;
  }
}

async function runCommand(argv: string[]): Promise<number> {
  const alias = argv[0] !== undefined && Object.hasOwn(ALIASES, argv[0]) ? ALIASES[argv[0]] : undefined;
  const [cmd, ...rest] = alias ? [...alias, ...argv.slice(1)] : argv;
  switch (cmd) {
    case 'stats':
      return (await import('./commands/stats.js')).runStats(rest);
    case 'audit':
      return rest[0] === 'verify' ? (await import('./commands/verify.js')).runVerify(rest.slice(1)) : (await import('./commands/audit.js')).runAudit(rest);
    case 'verify':
      return (await import('./commands/verify.js')).runVerify(rest);
    case 'gc':
      return (await import('./commands/gc.js')).runGc(rest);
    case 'clear':
      return (await import('./commands/clear.js')).runClear(rest);
    case 'explain':
      return (await import('./commands/explain.js')).runExplain(rest);
    case 'report':
      return (await import('./commands/report.js')).runReport(rest);
    case 'server':
      return (await import('./commands/server.js')).runServer(rest);
    case 'serve':
      return (await import('./commands/serve.js')).runServe(rest);
    case 'cargo':
      return (await import('./commands/cargo.js')).runCargo(rest);
    case '--version':
      // A stray argument is a usage error, as for every command (`-V --json` printed the version, exit 0).
      if (rest.length > 0) {
        process.stderr.write(`splitcache: ${argv[0]} takes no arguments, not '${rest[0]}' (see \`splitcache --help\`)\n`);
        return 2;
      }
      process.stdout.write((await import('./versionLine.js')).versionLine());
      return 0;
    case undefined:
      // No command is a usage error: the usage goes to stderr, where every usage error's line goes.
      process.stderr.write(USAGE);
      return 2;
    case 'help':
    case '--help':
    case '-h':
      // `splitcache help gc` is `splitcache gc --help`, as with git and cargo.
      if (cmd === 'help' && rest[0] !== undefined && rest[0] !== 'help') return runCommand([...rest, '--help']);
      process.stdout.write(USAGE);
      return 0;
    default: {
      // One line, as every usage error: the whole usage here buried what was wrong.
      const instead = SCCACHE_INSTEAD[cmd.replace(/=.*/, '')];
      const see = instead ? `sccache's; here: \`${instead}\`` : 'see `splitcache --help`';
      process.stderr.write(`splitcache: unknown ${cmd.startsWith('-') ? 'option' : 'command'} '${cmd}' (${see})\n`);
      return 2;
    }
  }
}
