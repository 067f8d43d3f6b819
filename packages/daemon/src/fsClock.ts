import { closeSync, fstatSync, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { tempSuffix } from '@splitcache/store';

/** Within this, a file system's clock AHEAD of the daemon's is taken for the daemon's: that only stores less. */
const AHEAD_TOLERANCE_MS = 2000;
/**
 * A lag within this is a kernel's coarse tick (a ctime up to one jiffy behind the clock it is read
 * from: 4 ms at HZ=250, 10 at HZ=100) and the millisecond probeOnce adds, with a margin: at 10,
 * an HZ=100 kernel's own clock measured a lag now and then. rustc's ~40 ms start covers it
 * (changedSince.ts).
 */
const TICK_MS = 15;
/**
 * A probe whose open took at most this is kept: a lag it overstates (by this, a jiffy and the
 * millisecond probeOnce adds) stays within TICK_MS. Retried only past TICK_MS itself, opens of
 * 11-15 ms (preempted, under load) measured lags of 15-20 ms on an overlay mount of a loaded
 * machine, 4 measures in 80,000.
 */
const QUICK_OPEN_MS = 2;
/** A device's skew is measured again after this. */
const MEASURED_FOR_MS = 10_000;

const measured = new Map<number, { skewMs: number; at: number }>();

/**
 * The clock of the file system that holds `dir`, against the daemon's: the ctime a file made there
 * gets, less `Date.now()` (as `skewFrom` takes it), measured at most every 10 s per device.
 * A file's ctime is set by its file system's clock: a network file system's server, a VM's host
 * (a bind mount under Docker Desktop). One ahead of the daemon's by an hour dated every input
 * after its compile's start, and no result was stored (`input-modified-during-compile`, every
 * crate: a hunting helper's repro under libfaketime); one behind it would take an input written
 * during the compile for one written before. Undefined where no file can be made in `dir`.
 */
export function fsClockSkew(dir: string): { dev: number; skewMs: number } | undefined {
  let dev: number;
  try {
    dev = statSync(dir).dev;
  } catch {
    return undefined;
  }
  const known = measured.get(dev);
  // A daemon's clock stepped back since (NTP, a VM resumed) is measured again too.
  const age = known ? Date.now() - known.at : -1;
  if (known && age >= 0 && age < MEASURED_FOR_MS) return { dev, skewMs: known.skewMs };
  // A probe whose open was slow (this thread preempted, a slow file system) overstates a lag by as
  // much: it is made again, at most twice, and the least lag of the tries is kept.
  let raw: number | undefined;
  for (let i = 0; i < 3; i++) {
    const tried = probeOnce(dir);
    if (tried === undefined) return undefined;
    raw = Math.max(raw ?? -Infinity, tried.raw);
    if (tried.tookMs <= QUICK_OPEN_MS) break;
  }
  const skewMs = skewFrom(raw!);
  measured.set(dev, { skewMs, at: Date.now() });
  return { dev, skewMs };
}

/**
 * A file made in `dir`: its ctime less the time just after it was made, and how long its open took.
 * `Date.now()` is a whole millisecond, up to one before the time it was read, and a ctime may be
 * finer (Linux's multigrain timestamps date a change finely once its dir's times were read): less
 * `Date.now()` alone, a lag of 1.5 s measured as 1499.x ms, short of the lag. So the whole
 * millisecond read is taken as its end, and the probe can only overstate a lag.
 */
function probeOnce(dir: string): { raw: number; tookMs: number } | undefined {
  const probe = join(dir, `.sc-clock-${tempSuffix()}`);
  let fd: number;
  const before = Date.now();
  try {
    fd = openSync(probe, 'wx', 0o600);
  } catch {
    return undefined;
  }
  try {
    const now = Date.now();
    return { raw: fstatSync(fd).ctimeMs - (now + 1), tookMs: now - before };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
    rmSync(probe, { force: true });
  }
}

/**
 * The skew applied for a probe's ctime less `Date.now()` read after it was made (`raw`), which
 * can only overstate a lag and understate a lead, so either applied moves `since` no later than
 * the file system's clock had it. A lead under 2 s is not applied (the inputs of the last 2 s
 * before a compile read as changed: fewer stores, never a wrong one). Any lag beyond a tick is:
 * not applied, an input written in the first `-raw` ms of a compile (a clock 1.5 s behind, as
 * Docker Desktop's bind mounts can run) was dated before its start and stored with outputs of
 * its old text. A file system of whole seconds measures up to 1 s of lag with none (its ctime
 * truncated); there an input written in the second before the compile's is not stored either.
 */
export function skewFrom(raw: number): number {
  if (raw >= 0) return raw < AHEAD_TOLERANCE_MS ? 0 : raw;
  return raw > -TICK_MS ? 0 : raw;
}

/** `since` (the daemon's clock) on the clock of the file system of `st`, where `skew` measured its device. */
export function sinceOn(st: Stats, since: number, skew: { dev: number; skewMs: number } | undefined): number {
  return skew && st.dev === skew.dev ? since + skew.skewMs : since;
}
