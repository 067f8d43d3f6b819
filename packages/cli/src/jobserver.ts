import { fstatSync } from 'node:fs';

/**
 * cargo hands rustc a jobserver through inherited pipe fds named in
 * CARGO_MAKEFLAGS (`--jobserver-auth=R,W`). Node's spawn passes only stdio
 * unless told, and a rustc without them warns and runs unthrottled (and the
 * warning would be cached), so the fds go into the stdio array explicitly.
 */
export function jobserverFds(env: NodeJS.ProcessEnv): number[] {
  const flags = env.CARGO_MAKEFLAGS ?? env.MAKEFLAGS ?? env.MFLAGS ?? '';
  const m = /--jobserver-(?:auth|fds)=(\d+),(\d+)/.exec(flags);
  if (!m) return [];
  const fds = [Number(m[1]), Number(m[2])];
  return fds.every((fd) => fd > 2 && isOpen(fd)) ? fds : [];
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** A stdio array that passes the jobserver fds through at their own numbers. */
export function stdioWith(fds: number[], out: 'inherit' | 'pipe'): (number | 'inherit' | 'pipe' | 'ignore')[] {
  const stdio: (number | 'inherit' | 'pipe' | 'ignore')[] = ['inherit', out, out];
  for (const fd of fds) {
    while (stdio.length <= fd) stdio.push('ignore');
    stdio[fd] = fd;
  }
  return stdio;
}
