import { oneLine } from '@splitcache/errors';
import { runCargoPlainly } from './cargoPlainly.js';

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
  return runCargoPlainly(argv.slice(1), install);
}
