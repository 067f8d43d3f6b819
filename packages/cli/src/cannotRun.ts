/**
 * `splitcache: cannot run <program>: <why>`, in words rather than node's (`spawn /x/cargo ENOENT`):
 * the line `splitcache cargo` says when cargo can't be started, as a rustc call says it.
 */
export function cannotRunLine(program: string, error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? (program.includes('/') ? 'no such file' : 'no such program on PATH') : code === 'EACCES' ? 'permission denied' : error.message.replace(/^spawn \S+ /, '');
  return `splitcache: cannot run ${program}: ${why}\n`;
}
