import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The credentials the kernel checks a caller's file access against: its file-system uid and gid
 * (as its effective ones, but for a setfsuid) and its supplementary groups. The node client sends
 * its own (protocol.ts, `creds`); an exec-port caller's are read from /proc/<pid>/status.
 */
export interface CallerCreds {
  uid: number;
  gid: number;
  groups: number[];
}

/** A /proc/<pid>/status text's credentials (the fourth, file-system, field of `Uid:` and `Gid:`), or undefined. */
export function credsOfStatus(status: string): CallerCreds | undefined {
  const ids = (name: string) => new RegExp(`^${name}:[ \\t]*([^\\n]*)`, 'm').exec(status)?.[1]?.trim().split(/\s+/).filter(Boolean).map(Number);
  const uid = ids('Uid')?.[3];
  const gid = ids('Gid')?.[3];
  const groups = ids('Groups') ?? [];
  if (uid === undefined || gid === undefined || [uid, gid, ...groups].some((n) => !Number.isInteger(n))) return undefined;
  return { uid, gid, groups };
}

/** Whether a request's `creds` is well formed (an older or a foreign client may send anything). */
export function isCreds(v: unknown): v is CallerCreds {
  const c = v as CallerCreds | undefined;
  return typeof c === 'object' && c !== null && Number.isInteger(c.uid) && Number.isInteger(c.gid) && Array.isArray(c.groups) && c.groups.every((g) => Number.isInteger(g));
}

/**
 * Whether a process of `creds` may make files in `dir` (write it and search it), as rustc must to
 * write its objects there. Where `creds` are the daemon's own (or unknown: an older client), its
 * access(2) answers, ACLs, read-only mounts and all. Otherwise (a caller after `newgrp` or `sg`,
 * whose groups are not those of the client that started the daemon) the dir's mode bits are
 * checked against the caller's uid, gid and groups as the kernel checks them (the owner's bits
 * alone for its owner, the group's for a member, the others' for the rest; root may write any
 * dir), and so are the search bits of every dir above it, as the kernel checks each as it walks
 * the path (one the daemon may search and the caller may not hid the dir from a plain rustc, which
 * failed where the call was cached); a dir with an ACL, whose entries the daemon can't read, is taken as not writable (the call
 * runs plainly, and rustc decides), and so is one the daemon's own access(2) refuses for another
 * reason than permission (a read-only file system, an immutable dir), or on a read-only mount.
 */
export function writableBy(dir: string, creds: CallerCreds | undefined): boolean {
  const own = accessOf(dir);
  if (creds === undefined || sameCreds(creds, ownCreds())) return own === undefined;
  if (own !== undefined && own !== 'EACCES') return false;
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    return false;
  }
  if (!st.isDirectory() || !modeAllows(st, creds) || !pathSearchable(dir, creds)) return false;
  if (creds.uid !== 0 && hasAcl(dir)) return false;
  // A read-only bind mount refuses a write only once the permission bits pass: the daemon's EACCES hides it.
  return own === undefined || !onReadOnlyMount(dir);
}

/** The daemon's own credentials, as access(2) checks them (the real ids). */
function ownCreds(): CallerCreds {
  return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1, groups: process.getgroups?.() ?? [] };
}

/** Whether two sets of credentials reach the same files: the same uid, and the same groups, the primary one among them. */
function sameCreds(a: CallerCreds, b: CallerCreds): boolean {
  if (a.uid !== b.uid) return false;
  const ga = new Set([a.gid, ...a.groups]);
  const gb = new Set([b.gid, ...b.groups]);
  return ga.size === gb.size && [...ga].every((g) => gb.has(g));
}

/** access(2)'s answer for write and search, as the daemon: undefined where allowed, else its error code. */
function accessOf(dir: string): string | undefined {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}

/** The kernel's mode-bit check of write and search on a dir: root passes (CAP_DAC_OVERRIDE), else one class's bits decide. */
export function modeAllows(st: Pick<Stats, 'mode' | 'uid' | 'gid'>, creds: CallerCreds): boolean {
  return creds.uid === 0 || (classBits(st, creds) & 3) === 3;
}

/** The mode bits of the one class `creds` falls in: the owner's for its owner, the group's for a member, the others' for the rest. */
function classBits(st: Pick<Stats, 'mode' | 'uid' | 'gid'>, creds: CallerCreds): number {
  return creds.uid === st.uid ? (st.mode >> 6) & 7 : creds.gid === st.gid || creds.groups.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
}

/**
 * Whether `creds` may search every dir above `dir` (their mode bits, as modeAllows reads them),
 * along the path as given and along the one its links resolve to; a stat that fails answers no.
 */
function pathSearchable(dir: string, creds: CallerCreds): boolean {
  if (creds.uid === 0) return true;
  try {
    for (const path of new Set([resolve(dir), realpathSync(dir)])) {
      for (let d = dirname(path); ; d = dirname(d)) {
        if ((classBits(statSync(d), creds) & 1) === 0) return false;
        if (dirname(d) === d) break;
      }
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `dir` has an ACL (GNU ls's `+` after the mode: node has no call for extended
 * attributes). One short child, and only for a caller whose groups are not the daemon's; an ls
 * that fails answers yes, the cautious answer.
 */
function hasAcl(dir: string): boolean {
  const r = spawnSync('ls', ['-ld', '--', dir], { encoding: 'latin1', timeout: 5000 });
  return r.status !== 0 || r.stdout[10] === '+';
}

/** Whether the mount `dir` is on is read-only (its mount options in /proc/self/mountinfo; the last mount of a place shadows the rest). */
function onReadOnlyMount(dir: string): boolean {
  try {
    const real = realpathSync(dir);
    let best: { point: string; ro: boolean } | undefined;
    for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n')) {
      const f = line.split(' ');
      if (f.length < 6) continue;
      const point = f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      const under = point === '/' || real === point || real.startsWith(`${point}/`);
      if (under && (!best || point.length >= best.point.length)) best = { point, ro: f[5]!.split(',').includes('ro') };
    }
    return best?.ro ?? false;
  } catch {
    return true;
  }
}
