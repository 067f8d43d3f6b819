/**
 * cargo hands rustc a jobserver through inherited pipe fds named in its make
 * flags (`CARGO_MAKEFLAGS`, else `MAKEFLAGS` or `MFLAGS`): `--jobserver-auth=R,W`,
 * or `--jobserver-fds=R,W` from older makes (the last auth, else the last fds, as rustc's
 * jobserver client reads them). Returns [R, W], or none when
 * the flags name no pipe (none at all, or a `fifo:` jobserver, which rustc opens by
 * its path) or name stdio. The node client passes these fds to rustc in its
 * stdio array; on the exec port the caller's bash runs rustc, which inherits them (the daemon
 * opens only the caller's stdout and stderr through /proc: procCaller.ts).
 */
export function jobserverFdNumbers(env: Record<string, string | undefined>): number[] {
  const flags = env.CARGO_MAKEFLAGS ?? env.MAKEFLAGS ?? env.MFLAGS ?? '';
  // Flags may name several (a make that runs a make); only the last counts, as GNU make and
  // rustc's jobserver client read them: the first named a pipe the inner make no longer serves.
  // That client takes the last `--jobserver-auth`, and the older `--jobserver-fds` only where no
  // `--jobserver-auth` is given, wherever it stands: the last of either passed other fds than it read.
  const lastOf = (flag: RegExp) => [...flags.matchAll(flag)].at(-1)?.[1];
  const last = lastOf(/--jobserver-auth=(\S*)/g) ?? lastOf(/--jobserver-fds=(\S*)/g);
  const m = last === undefined ? null : /^(\d+),(\d+)$/.exec(last);
  if (!m) return [];
  const fds = [Number(m[1]), Number(m[2])];
  return fds.every((fd) => fd > 2) ? fds : [];
}
