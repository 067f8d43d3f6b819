import { chmodSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempsDirOf, type Invocation } from '@splitcache/rustc';
import { makeDirsSync } from '@splitcache/store';
import { inputOnDisk } from './inputPath.js';
import { isCreds, writableBy } from './dirWritable.js';

/**
 * Makes the dir a call's `-Z temps-dir` names, as a plain rustc makes it before it compiles
 * (`create_dir_all`, left empty once it links): a hit runs no rustc, and a crate that links runs
 * its `-Zno-link` half without the option (rustc/src/tempsDir.ts), its link step making none.
 * `temps-dir-unmade` where it can't be made (a file in its way): a plain rustc then fails (`failed
 * to find or create the directory specified by --temps-dir`), and so must the call, which runs
 * plainly; through the split, such a bin built. `umask`: the caller's, as rustc's mkdir has it.
 * `temps-dir-unwritable` where it is there but the caller can't write in it (another user's dir, a
 * read-only mount, or one made under a umask that leaves no write): a plain rustc's call that
 * writes code fails (`could not write output to DIR/…`), lib or bin, and so must the call; through
 * the split such a bin built, and any crate stored while the dir was writable hit. Not for a call
 * that writes no code (metadata and dep-info alone), which a plain rustc builds: before, cargo
 * check's calls ran plainly. `creds`: the caller's uid, gid and groups, which decide whether it
 * may write there (dirWritable.ts): the daemon runs as the caller's user, but with the groups of
 * the client that started it, so its own access(2) cached a call after `sg` that a plain rustc
 * fails, and ran plainly one a plain rustc builds.
 */
export function tempsDirUnmade(inv: Pick<Invocation, 'unstable' | 'emit' | 'emitGiven'>, cwd: string, umask = 0o022, creds?: unknown): 'temps-dir-unmade' | 'temps-dir-unwritable' | undefined {
  const dir = tempsDirOf(inv);
  if (dir === undefined) return undefined;
  try {
    const target = inputOnDisk(cwd, dir);
    const mode = 0o777 & ~umask;
    // The first of its dirs not there yet: those made here, and only those, get the caller's mode.
    let first: string | undefined;
    for (let d = target; !existsSync(d); d = dirname(d)) {
      first = d;
      if (dirname(d) === d) break;
    }
    // makeDirsSync, not Node's recursive mkdir, which never ends under /proc (store/makeDirs.ts).
    makeDirsSync(target, mode);
    // mkdir(2) takes the daemon's own umask off too: each dir made here gets the caller's mode
    // exactly (a caller's 002 under a daemon's 022 made 0755 where rustc makes 0775).
    if (first !== undefined) for (let d = target; d === first || d.startsWith(`${first}/`); d = dirname(d)) chmodSync(d, mode);
  } catch {
    return 'temps-dir-unmade';
  }
  // A call that writes no code (cargo check's `--emit=dep-info,metadata`) writes nothing there: a plain rustc succeeds.
  if (inv.emitGiven && inv.emit.every((e) => e.kind === 'metadata' || e.kind === 'dep-info')) return undefined;
  return writableBy(inputOnDisk(cwd, dir), isCreds(creds) ? creds : undefined) ? undefined : 'temps-dir-unwritable';
}
