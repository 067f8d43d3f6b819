import { basename, dirname, join } from 'node:path';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

/** A fault's line is said at most once in this long per store and code. */
const SAID_FOR_MS = 60_000;
/**
 * A marker dated further ahead of the clock than this was made before the clock was stepped
 * back (an NTP fix, a VM restored), not just now: taken as new, it kept the line unsaid until
 * the clock caught up with it. Within it, a clock a little off (as daemonStart.ts's notes).
 */
const AHEAD_MS = 60_000;

/**
 * Whether this call is the one to say a client fault whose once-a-minute marker is `marker`
 * (client.ts, warnOnce); if so, the marker now says it was said. Of calls at once, one is.
 *
 * Where there is no marker, it is made exclusively (`wx`). A marker over a minute old (or dated
 * over a minute ahead) is taken over by the one call that makes its claim exclusively: a file
 * named by that marker's inode and mtime, which no later marker shares. The new marker is
 * renamed over the old one and names its claim; the claim before it goes then. Before, each
 * call that found the marker old rewrote it and said the line: of five calls at once, two said
 * it in half of the rounds. Any other failure says the line anyway (a line too many, not none).
 */
export function firstToSay(marker: string): boolean {
  let st;
  try {
    st = statSync(marker, { bigint: true });
  } catch {
    return madeExclusively(marker, '');
  }
  const age = Date.now() - Number(st.mtimeMs);
  if (age < SAID_FOR_MS && age > -AHEAD_MS) return false;
  const claim = `${marker}.${st.ino}-${st.mtimeNs}`;
  if (!madeExclusively(claim, '') && !(leftByEnded(claim) && madeExclusively(claim, ''))) return false;
  try {
    const before = readFileSync(marker, 'utf8');
    const fresh = `${claim}.new`;
    writeFileSync(fresh, basename(claim), { mode: 0o600 });
    renameSync(fresh, marker);
    if (before.startsWith(`${basename(marker)}.`) && !before.includes('/')) rmSync(join(dirname(marker), before), { force: true });
  } catch {
    // Not taken over: the claim goes, so that the next call after the minute may (a stale marker
    // whose claim stayed would keep the line unsaid for good).
    rmSync(claim, { force: true });
  }
  return true;
}

/**
 * Whether a claim found made is one whose call ended before it took the marker over (a Ctrl-C
 * between the two): a claim is taken over within milliseconds, so one over a minute old (or dated
 * over a minute ahead) is such, and is removed. Left, it kept the line unsaid for good: the marker
 * it claims stays as it is, and each later call finds its claim made.
 */
function leftByEnded(claim: string): boolean {
  try {
    const age = Date.now() - statSync(claim).mtimeMs;
    if (age < SAID_FOR_MS && age > -AHEAD_MS) return false;
    rmSync(claim, { force: true });
    return true;
  } catch {
    return false;
  }
}

/** Whether `file` was made here, not found made (EEXIST): any other failure counts as made. */
function madeExclusively(file: string, text: string): boolean {
  try {
    writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EEXIST';
  }
}
