/**
 * Why `program` could not be started, in words rather than node's (`spawn /x/cargo ENOENT`).
 * `noneOnPath`: what to say of a bare name that PATH does not hold.
 */
export function whyNotStarted(program: string, error: Error, noneOnPath = 'no such program on PATH'): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return program.includes('/') ? 'no such file' : noneOnPath;
  if (code === 'EACCES') return 'permission denied';
  return error.message.replace(/^spawn \S+ /, '');
}

/** `splitcache: cannot run <program>: <why>`: the line `splitcache cargo` says when cargo can't be started, as a rustc call says it. */
export function cannotRunLine(program: string, error: Error): string {
  return `splitcache: cannot run ${program}: ${whyNotStarted(program, error)}\n`;
}
