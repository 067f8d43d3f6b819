import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', '..', 'bin', 'splitcache');

/** `splitcache cargo <args…>`: cargo with splitcache as RUSTC_WRAPPER and a fresh session id. */
export async function runCargo(args: string[]): Promise<number> {
  const env = { ...process.env, RUSTC_WRAPPER: BIN, SPLITCACHE_SESSION: process.env.SPLITCACHE_SESSION ?? randomBytes(6).toString('hex') };
  const child = spawn(process.env.CARGO ?? 'cargo', args, { stdio: 'inherit', env });
  return new Promise((res) => {
    child.on('error', (e) => {
      process.stderr.write(`splitcache: cannot run cargo: ${e.message}\n`);
      res(127);
    });
    child.on('close', (code) => res(code ?? 1));
  });
}
