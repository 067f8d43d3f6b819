import { join } from 'node:path';
import { oneLine } from '@splitcache/errors';

/**
 * A subcommand whose modules can't be loaded: the install is incomplete, most often because
 * `npm ci` is running in it (it removes node_modules first: ~90 s here), or its node_modules is
 * gone. The wrapper itself is one bundled file and builds on (uncached, where no daemon can
 * start); `splitcache cargo` runs cargo as its wrapper would, uncached, and ends as cargo does.
 * Before, it printed ERR_MODULE_NOT_FOUND and exited 1, and cargo never ran (a helper's five
 * builds in a row during an upgrade in place). Any other subcommand says what is wrong in one line.
 */
export async function installIncomplete(argv: string[], err: unknown, install: string): Promise<number> {
  const why = `cannot load splitcache's modules from ${install} (${oneLine(err).slice(0, 300)}): is \`npm ci\` running there, or its node_modules gone?`;
  if (argv[0] !== 'cargo') {
    process.stderr.write(`splitcache: SPLITCACHE_INSTALL_INCOMPLETE: ${why}\n`);
    return 1;
  }
  process.stderr.write(`splitcache: SPLITCACHE_INSTALL_INCOMPLETE: ${why} (running cargo: its calls build uncached unless a daemon runs already)\n`);
  const { spawn } = process.getBuiltinModule('node:child_process');
  const env: NodeJS.ProcessEnv = { ...process.env, RUSTC_WRAPPER: join(install, 'bin', 'splitcache') };
  const ignored = (env.SPLITCACHE_IGNORED_SIGNALS ?? '').split(' ');
  delete env.SPLITCACHE_IGNORED_SIGNALS;
  const cargo = spawn(process.env.CARGO ?? 'cargo', argv.slice(1), { stdio: 'inherit', env });
  // A signal sent to this process alone is cargo's too (a terminal's reached it already, as it
  // signals the whole group; sent again it does no harm to a cargo that is stopping). One ignored
  // where this was started (`nohup`: bin/splitcache names it) is ignored here.
  const passOn = (s: NodeJS.Signals) => void (ignored.includes(s) || cargo.kill(s));
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, passOn);
  return new Promise<number>((res) => {
    cargo.on('error', (e) => {
      process.stderr.write(`splitcache: cannot run cargo: ${e.message}\n`);
      res(127);
    });
    cargo.on('close', (code, signal) => res(code ?? 128 + (signal ? process.getBuiltinModule('node:os').constants.signals[signal] : 0)));
  });
}
