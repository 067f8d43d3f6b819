/**
 * Whether a caller on the exec port means this daemon's store. The caller
 * names no store on the wire: it found the port in `exec.port` in the store
 * dir its environment names. A copy of a store made while its daemon runs
 * (`cp -a`, a CI cache saved and restored on the same machine) carries that
 * file, with the port and token of the daemon of the original; a build
 * using the copy would otherwise be served, counted and stored by the
 * original's daemon. The store dir the caller's environment names must be
 * this daemon's: the same path, or the same directory by another path (a
 * symlink, a trailing slash). Otherwise it runs the node client, which
 * talks to the copy's own daemon.
 */
import { stat } from 'node:fs/promises';
import { storeDir } from './protocol.js';

export async function isCallersStore(dir: string, callerEnv: Record<string, string>): Promise<{ ok: boolean; callerDir: string }> {
  let callerDir: string;
  try {
    callerDir = storeDir(callerEnv);
  } catch {
    return { ok: false, callerDir: '(none: no HOME)' };
  }
  if (callerDir === dir) return { ok: true, callerDir };
  const [a, b] = await Promise.all([stat(callerDir).catch(() => undefined), stat(dir).catch(() => undefined)]);
  return { ok: a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino, callerDir };
}
