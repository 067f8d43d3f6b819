import { inputOnDisk } from './inputPath.js';
import { isFile } from './isFile.js';

/**
 * The JSON file rustc would read for `--target <name>` given as a name, not a
 * path: a custom target found by name. rustc takes a built-in target of that
 * name first; failing one, `<name>.json` in each dir of `RUST_TARGET_PATH`
 * (colon-separated; unset or an empty entry means the working directory),
 * then `<sysroot>/lib/rustlib/<name>/target.json`. The spec decides the code
 * (its cpu, features, data layout), so the key must hold its digest, not only
 * the name: with the name alone, an edited spec hit with the old one's
 * objects. Undefined when there is no such file (a built-in target, as a rule).
 * A file that shadows a built-in target's name is never read by rustc; keying
 * it costs a needless miss when it changes, nothing worse.
 */
export function namedTargetSpec(name: string, env: Record<string, string>, cwd: string, sysroot: string): string | undefined {
  const file = `${name}.json`;
  const dirs = (env.RUST_TARGET_PATH ?? '').split(':');
  for (const dir of dirs) {
    // Joined as text, as rustc's open does (inputPath.ts): path.join drops a `link/..`, and named another file.
    const p = inputOnDisk(cwd, dir === '' ? file : inputOnDisk(dir, file));
    if (isFile(p)) return p;
  }
  const inSysroot = inputOnDisk(sysroot, `lib/rustlib/${name}/target.json`);
  return isFile(inSysroot) ? inSysroot : undefined;
}
