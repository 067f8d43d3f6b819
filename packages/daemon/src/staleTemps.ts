import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from './processAlive.js';

/**
 * Removes, once per out dir in a daemon's life, the temp copies that a daemon killed in the middle
 * of a replay left there (`<output>.sc-replay-<pid>-<n>-<random>`, replay.ts): cargo never removes
 * them, and in a target dir that CI keeps they piled up (an interrupts helper: 8 of 53 daemon kills
 * during a warm tokio build left 1 to 4, a 24 MB rlib's copy among them). Only regular files of
 * that form, over a minute old, of a process that is gone: a daemon of another store may be
 * writing into the same target dir, one in another container (pid namespace) too, and an out dir
 * may be the user's own (`-o ~/bin/tool`), where `budget.sc-2024-q3-final` is no temp of ours (a
 * review's repro, with the looser form of the first version). Not awaited by the replay: one
 * readdir, a few ms for a deps/ of thousands of files, off the hit's path.
 */
export function sweepStaleTemps(outDir: string): void {
  if (swept.has(outDir)) return;
  if (swept.size >= 1_000) swept.clear();
  swept.add(outDir);
  void sweepDir(outDir).catch(() => undefined);
}

const swept = new Set<string>();

const TEMP = /\.sc-replay-([0-9a-z]{1,8})-[0-9a-z]{1,8}-[0-9a-z]{1,8}$/;
const MIN_AGE_MS = 60_000;

/** The sweep itself, awaited (tests). */
export async function sweepDir(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid36 = TEMP.exec(name)?.[1];
    if (pid36 === undefined) continue;
    const pid = parseInt(pid36, 36);
    if (pid === process.pid || processAlive(pid)) continue;
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (!st?.isFile() || Date.now() - st.mtimeMs < MIN_AGE_MS) continue;
    await unlink(join(dir, name)).catch(() => undefined);
  }
}
