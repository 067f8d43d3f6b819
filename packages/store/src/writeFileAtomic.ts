import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { writeWhole } from './wholeFile.js';

/**
 * Writes `data` to `tmp`, then renames it to `dest`: a reader sees the old file
 * or the whole new one, never part of it. On failure the temp file is removed
 * and the file system's error is thrown for the caller to name.
 */
export async function writeFileAtomic(tmp: string, dest: string, data: Uint8Array, mode: number, beforeRename?: () => Promise<unknown>): Promise<void> {
  try {
    await writeWhole(tmp, data, mode);
    await beforeRename?.();
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The same with synchronous calls, for small files: no thread-pool round trip per step. */
export function writeFileAtomicSync(tmp: string, dest: string, data: Uint8Array, mode: number): void {
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode });
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

let tempCount = 0;

/**
 * A suffix for a temp file name, unique among the processes writing at once:
 * the pid, a counter and a random part. Not node:crypto, whose load was
 * ~7 ms of every daemon start; the names need to be distinct, not secret.
 */
export function tempSuffix(): string {
  return `${process.pid.toString(36)}-${(tempCount++).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
