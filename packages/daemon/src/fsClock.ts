import { closeSync, fstatSync, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { tempSuffix } from '@splitcache/store';

/** Within this, a file system's clock is taken for the daemon's (a coarse kernel tick, whole-second times). */
const SKEW_TOLERANCE_MS = 2000;
/** A device's skew is measured again after this. */
const MEASURED_FOR_MS = 10_000;

const measured = new Map<number, { skewMs: number; at: number }>();

/**
 * The clock of the file system that holds `dir`, against the daemon's: the ctime a file made there
 * gets, less `Date.now()` (0 within SKEW_TOLERANCE_MS), measured at most every 10 s per device.
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
  if (known && Date.now() - known.at < MEASURED_FOR_MS) return { dev, skewMs: known.skewMs };
  const probe = join(dir, `.sc-clock-${tempSuffix()}`);
  let fd: number;
  try {
    fd = openSync(probe, 'wx', 0o600);
  } catch {
    return undefined;
  }
  try {
    const now = Date.now();
    const raw = fstatSync(fd).ctimeMs - now;
    const skewMs = Math.abs(raw) < SKEW_TOLERANCE_MS ? 0 : raw;
    measured.set(dev, { skewMs, at: now });
    return { dev, skewMs };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
    rmSync(probe, { force: true });
  }
}

/** `since` (the daemon's clock) on the clock of the file system of `st`, where `skew` measured its device. */
export function sinceOn(st: Stats, since: number, skew: { dev: number; skewMs: number } | undefined): number {
  return skew && st.dev === skew.dev ? since + skew.skewMs : since;
}
