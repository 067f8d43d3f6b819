import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const NAMES = ['.clippy.toml', 'clippy.toml'];

/**
 * The configuration file clippy-driver reads for a call, found the way it
 * looks: `.clippy.toml`, then `clippy.toml`, in CLIPPY_CONF_DIR (else
 * CARGO_MANIFEST_DIR, else the working directory), then in each directory
 * above it up to the root. Undefined when there is none.
 *
 * clippy lists the file it read in dep-info, but where it read none, nothing
 * records that a file could appear: the key names the file found, or none
 * (manifestKey.ts, item 13), so a new clippy.toml is a miss.
 */
export function clippyConfFile(env: Record<string, string>, cwd: string): string | undefined {
  let dir = resolve(cwd, env.CLIPPY_CONF_DIR ?? env.CARGO_MANIFEST_DIR ?? '.');
  for (;;) {
    for (const name of NAMES) {
      const file = join(dir, name);
      if (statSync(file, { throwIfNoEntry: false })?.isFile()) return file;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
