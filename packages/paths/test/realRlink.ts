/**
 * Builds real `.rlink` files with the installed toolchains, the way the
 * daemon's miss path does: `rustc -Zno-link` (RUSTC_BOOTSTRAP=1 on stable).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HELLO_TEXT = 'hello from split';

export interface Toolchain {
  name: string;
  rustc: string;
  sysroot: string;
  /** First line of `rustc --version`. */
  versionLine: string;
}

export interface RealRlink {
  toolchain: Toolchain;
  dir: string;
  outDir: string;
  rlinkPath: string;
  buf: Buffer;
  depInfo: string;
}

/** The toolchain's own rustc (not the rustup proxy), or undefined if it isn't installed. */
export function findToolchain(name: 'stable' | 'nightly'): Toolchain | undefined {
  try {
    const sysroot = execFileSync('rustup', ['run', name, 'rustc', '--print', 'sysroot'], { encoding: 'utf8' }).trim();
    const rustc = join(sysroot, 'bin', 'rustc');
    if (!existsSync(rustc)) return undefined;
    const versionLine = execFileSync(rustc, ['--version'], { encoding: 'utf8' }).trim();
    return { name, rustc, sysroot, versionLine };
  } catch {
    return undefined;
  }
}

export function buildHelloRlink(toolchain: Toolchain): RealRlink {
  const dir = mkdtempSync(join(tmpdir(), `sc-paths-${toolchain.name}-`));
  const outDir = join(dir, 'out');
  mkdirSync(outDir);
  writeFileSync(join(dir, 'main.rs'), `fn main() { println!("${HELLO_TEXT}"); }\n`);
  execFileSync(
    toolchain.rustc,
    ['--crate-name', 'hello', '--edition=2021', join(dir, 'main.rs'), '--crate-type', 'bin',
      '--emit=dep-info,link', '-Zno-link', '--out-dir', outDir],
    { cwd: dir, env: { ...process.env, RUSTC_BOOTSTRAP: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const rlinkPath = join(outDir, 'hello.rlink');
  return {
    toolchain,
    dir,
    outDir,
    rlinkPath,
    buf: readFileSync(rlinkPath),
    depInfo: readFileSync(join(outDir, 'hello.d'), 'utf8'),
  };
}
