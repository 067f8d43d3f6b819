/**
 * Where a line splitcache says to the user goes when cargo ran the call: cargo's own stderr.
 *
 * cargo keeps every line a rustc call prints on its stderr beside the crate's fingerprint
 * (`target/<profile>/.fingerprint/<unit>/output-*`) and prints it again on each later build
 * that finds the crate fresh. A line said on the call's stderr (a remote's 401, a full store)
 * came back in builds that had no such fault, naming an earlier build's request, until the
 * crate was compiled again. Said on cargo's stderr, it is shown once, where cargo shows its own.
 *
 * This module is bundled into the client, so it imports only node builtins.
 */
import { readFileSync, statSync } from 'node:fs';

/**
 * `/proc/<cargo>/fd/2` where the parent of process `pid` is a cargo whose stderr is a pipe or a
 * terminal; else undefined, and the line goes on the call's stderr as before (a regular file
 * opened anew would be written from its start, over what cargo wrote).
 */
export function cargoStderrOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The fields after the command name, which may hold spaces and parentheses: state, then ppid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!(ppid > 1) || readFileSync(`/proc/${ppid}/comm`, 'latin1').trim() !== 'cargo') return undefined;
    const path = `/proc/${ppid}/fd/2`;
    const st = statSync(path);
    return st.isFIFO() || st.isCharacterDevice() ? path : undefined;
  } catch {
    return undefined;
  }
}
