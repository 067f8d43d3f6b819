/**
 * Where a line splitcache says to the user goes when cargo ran the call from a terminal:
 * the terminal itself, through cargo's own stderr.
 *
 * cargo keeps every line a rustc call prints on its stderr beside the crate's fingerprint
 * (`target/<profile>/.fingerprint/<unit>/output-*`) and prints it again on each later build
 * that finds the crate fresh. A line said on the call's stderr (a remote's 401, a full store)
 * came back in builds that had no such fault, naming an earlier build's request, until the
 * crate was compiled again. Said on cargo's terminal, it is shown once.
 *
 * Only a terminal: into a pipe (a CI log, `| tee`) cargo writes each diagnostic in several
 * writes, and a line of ours written between two of them split a warning in two (a helper's
 * finding: 3 of 3 tries with a slow reader). There, and in a file, the line goes on the call's
 * stderr as before: whole, and shown again by cargo while the crate stays fresh.
 *
 * This module is bundled into the client, so it imports only node builtins.
 */
import { readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';

/**
 * `/proc/<cargo>/fd/2` where the parent of process `pid` is the cargo that ran the call (its
 * executable is `$CARGO`'s, which cargo sets for rustc; or it is named cargo) and its stderr is
 * a terminal; else undefined.
 */
export function cargoTerminalOf(pid: number, env: Record<string, string | undefined>): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The fields after the command name, which may hold spaces and parentheses: state, then ppid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!(ppid > 1) || !isCargo(ppid, env.CARGO)) return undefined;
    const path = `/proc/${ppid}/fd/2`;
    return statSync(path).isCharacterDevice() ? path : undefined;
  } catch {
    return undefined;
  }
}

function isCargo(pid: number, cargo: string | undefined): boolean {
  if (readFileSync(`/proc/${pid}/comm`, 'latin1').trim() === 'cargo') return true;
  // A cargo under another name (`cargo-1.95`, a distribution's versioned one).
  return cargo !== undefined && readlinkSync(`/proc/${pid}/exe`) === realpathSync(cargo);
}
