/**
 * Whether the daemon's own entry file is still the one it started from. An
 * upgrade in place (`git pull && npm ci`, `npm run build`, a package manager
 * replacing the install) rewrites it while the daemon runs, and a daemon of
 * the same protocol version goes on serving the upgraded clients with the
 * old code, its fixes unapplied and its entries written under its rules,
 * until it idles out, which a build every few minutes never lets it do. The
 * daemon checks before each call (a stat), and once the file has changed it
 * serves that call and stops; the next call starts the daemon of the install
 * now on disk.
 */
import { FILE_VERSION, StartStamp } from './startStamp.js';

/** The daemon's entry file: changed once rewritten, replaced or removed. */
export function installStamp(file: string | undefined): StartStamp {
  return new StartStamp(file, FILE_VERSION);
}
