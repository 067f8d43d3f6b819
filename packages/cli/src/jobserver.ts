import { fstatSync } from 'node:fs';
import { jobserverFdNumbers } from '@splitcache/rustc';

/**
 * cargo's jobserver fds (jobserverFdNumbers in packages/rustc), when this
 * process has them open. Node's spawn passes only stdio unless told, and a
 * rustc without them warns and runs unthrottled (and the warning would be
 * cached), so the fds go into the stdio array explicitly.
 */
export function jobserverFds(env: NodeJS.ProcessEnv): number[] {
  const fds = jobserverFdNumbers(env);
  return fds.every(isOpen) ? fds : [];
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
