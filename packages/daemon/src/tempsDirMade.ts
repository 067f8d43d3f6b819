import { chmodSync, existsSync, lstatSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { outputStem, tempsDirOf, type Invocation } from '@splitcache/rustc';
import { makeDirsSync } from '@splitcache/store';
import { inputOnDisk } from './inputPath.js';
import { isCreds, writableBy } from './dirWritable.js';
import type { PendingCall } from './pendingCall.js';

/**
 * Whether a call's `-Z temps-dir` (its last) can be made and written as a plain rustc needs:
 * `temps-dir-unmade` where it can't be made (a file in its way, a parent the caller can't write
 * in): a plain rustc then fails (`failed to find or create the directory specified by
 * --temps-dir`), and so must the call, which runs plainly; through the split, such a bin built.
 * `temps-dir-unwritable` where the caller can't write in it (another user's dir, a read-only
 * mount, or one its umask would make with no write): a plain rustc's call that writes code fails
 * (`could not write output to DIR/…`), lib or bin, and so must the call; through the split such a
 * bin built, and any crate stored while the dir was writable hit. Not for a call that writes no
 * code (metadata and dep-info alone), which a plain rustc builds: before, cargo check's calls ran
 * plainly. `creds`: the caller's uid, gid and groups, which decide whether it may write there
 * (dirWritable.ts): the daemon runs as the caller's user, but with the groups of the client that
 * started it, so its own access(2) cached a call after `sg` that a plain rustc fails, and ran
 * plainly one a plain rustc builds. Nothing is made here: a plain rustc makes the dir only once
 * it has read its options and parsed the crate (when it writes dep-info), so a call it refuses
 * sooner leaves none (`makeTempsDir`, `madeAfterHalf`).
 */
export function tempsDirUnmade(inv: Pick<Invocation, 'unstable' | 'emit' | 'emitGiven'>, cwd: string, umask = 0o022, creds?: unknown): 'temps-dir-unmade' | 'temps-dir-unwritable' | undefined {
  const dir = tempsDirOf(inv);
  if (dir === undefined) return undefined;
  const who = isCreds(creds) ? creds : undefined;
  const target = inputOnDisk(cwd, dir);
  // The nearest of its dirs that is there: rustc's create_dir_all makes the rest in it.
  let there = target;
  let st: Stats | undefined;
  try {
    while (!(st = statSync(there, { throwIfNoEntry: false }))) {
      // A dangling symlink on the way: mkdir can't make a dir in its place.
      if (lstatSync(there, { throwIfNoEntry: false }) || dirname(there) === there) return 'temps-dir-unmade';
      there = dirname(there);
    }
  } catch {
    // A file on the way (ENOTDIR), a dir the caller can't search (EACCES): rustc can't make it either.
    return 'temps-dir-unmade';
  }
  if (!st.isDirectory() || (there !== target && !writableBy(there, who))) return 'temps-dir-unmade';
  // A call that writes no code (cargo check's `--emit=dep-info,metadata`) writes nothing there: a plain rustc succeeds.
  if (inv.emitGiven && inv.emit.every((e) => e.kind === 'metadata' || e.kind === 'dep-info')) return undefined;
  // To be made under the caller's umask: one that leaves its owner no write or search (0277) is made unwritable.
  if (there !== target) return (who?.uid ?? process.getuid?.()) === 0 || ((0o777 & ~umask) & 0o300) === 0o300 ? undefined : 'temps-dir-unwritable';
  return writableBy(target, who) ? undefined : 'temps-dir-unwritable';
}

/**
 * Makes the dir a call's `-Z temps-dir` names, as a plain rustc makes it before it compiles
 * (`create_dir_all`, left empty once it links): for a hit, which runs no rustc, and for a crate
 * that links, whose `-Zno-link` half runs without the option (rustc/src/tempsDir.ts) and whose
 * link step makes none. `mode`: 0777 less the caller's umask, as rustc's mkdir has it. Whether it
 * was made (or was there).
 */
export function makeTempsDir(inv: Pick<Invocation, 'unstable'>, cwd: string, mode = 0o755): boolean {
  const dir = tempsDirOf(inv);
  if (dir === undefined) return true;
  try {
    const target = inputOnDisk(cwd, dir);
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
    return true;
  } catch {
    return false;
  }
}

/**
 * A crate that links, whose `-Zno-link` half has ended with `code`: its temps dir made where a
 * plain rustc would have made it. That is where the half succeeded, or failed once it had read its
 * options and parsed the crate, which is when rustc makes the dir and writes dep-info (a type
 * error): its dep-info written since the call began says so. A call rustc refused sooner (an
 * option's bad value, a syntax error, a root source not there) gets none, as a plain rustc makes
 * none; before, the daemon made it as it planned the call. Nothing is ever removed: a dir made by
 * another call (a build's crates share one) may be in use.
 */
export function madeAfterHalf(p: Pick<PendingCall, 'inv' | 'cwd' | 'mode' | 'dirMode' | 'startedAt'>, code: number): void {
  if (p.mode !== 'split' || tempsDirOf(p.inv) === undefined || code >= 128) return;
  if (code !== 0) {
    const depInfo = statSync(resolve(p.cwd, p.inv.outDir ?? '.', `${outputStem(p.inv)}.d`), { throwIfNoEntry: false });
    // A second of slack: the kernel dates a file by a clock that may lag the daemon's by a tick.
    if (!depInfo || depInfo.mtimeMs < p.startedAt - 1000) return;
  }
  makeTempsDir(p.inv, p.cwd, p.dirMode);
}
