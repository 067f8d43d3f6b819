import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { OTHER_UID, otherUidToolchain } from './helpers.js';

// What the `-Z temps-dir` tests that run callers as OTHER_UID with chosen groups share: a nightly
// toolchain OTHER_UID can run, setpriv to pick the groups, and the group they hand out.

const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';
const toolchain = NIGHTLY ? await otherUidToolchain(NIGHTLY) : undefined;
const setpriv = spawnSync('setpriv', ['--version']).status === 0;

/** The nightly rustc OTHER_UID runs, where it can. */
export const NIGHTLY_RUSTC = toolchain ? join(toolchain, 'bin', 'rustc') : '';
export const skipGroupCallers = !(toolchain && setpriv) && 'needs a nightly toolchain, setpriv, root, and a uid with no passwd entry';
/** A group no user of the machine is in: given to a caller or a daemon by setpriv alone. */
export const GROUP = 4712;

/** `argv` as OTHER_UID with supplementary `groups` alone (setpriv), with only `env` and a PATH. */
export function asOtherUid(groups: number[], argv: string[], cwd: string, env: Record<string, string>) {
  const ids = ['--reuid', String(OTHER_UID), '--regid', String(OTHER_UID), groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups'];
  return spawnSync('setpriv', [...ids, '--', ...argv], {
    cwd,
    env: { PATH: `${join(process.execPath, '..')}:/usr/local/bin:/usr/bin:/bin`, SPLITCACHE_IDLE_TIMEOUT: '60', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}
