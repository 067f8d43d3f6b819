/**
 * cargo hands rustc a jobserver through inherited pipe fds named in its make
 * flags (`CARGO_MAKEFLAGS`, else `MAKEFLAGS` or `MFLAGS`): `--jobserver-auth=R,W`,
 * or `--jobserver-fds=R,W` from older makes. Returns [R, W], or none when the
 * flags name no pipe (none at all, or a `fifo:` jobserver, which rustc opens by
 * its path) or name stdio. The node client passes these fds to rustc in its
 * stdio array; the daemon opens the caller's through /proc.
 */
export function jobserverFdNumbers(env: Record<string, string | undefined>): number[] {
  const flags = env.CARGO_MAKEFLAGS ?? env.MAKEFLAGS ?? env.MFLAGS ?? '';
  const m = /--jobserver-(?:auth|fds)=(\d+),(\d+)/.exec(flags);
  if (!m) return [];
  const fds = [Number(m[1]), Number(m[2])];
  return fds.every((fd) => fd > 2) ? fds : [];
}
