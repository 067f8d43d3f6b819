import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '@splitcache/store';
import { daemonRequest } from './daemonRequest.js';
import { summarise, summaryLine } from './summary.js';

const BIN = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', '..', 'bin', 'splitcache');

/** `splitcache cargo <args…>`: cargo with splitcache as RUSTC_WRAPPER and a fresh session id (unless SPLITCACHE_SESSION names one: empty is unset). */
export async function runCargo(args: string[]): Promise<number> {
  const env = { ...process.env, RUSTC_WRAPPER: BIN, SPLITCACHE_SESSION: process.env.SPLITCACHE_SESSION || randomBytes(6).toString('hex') };
  const started = Date.now();
  const child = spawn(process.env.CARGO ?? 'cargo', args, { stdio: 'inherit', env });
  const code = await new Promise<number>((res) => {
    child.on('error', (e) => {
      process.stderr.write(`splitcache: cannot run cargo: ${e.message}\n`);
      res(127);
    });
    child.on('close', (c) => res(c ?? 1));
  });
  const r = await daemonRequest<{ events: AuditEvent[] }>({ op: 'audit', since: started, session: env.SPLITCACHE_SESSION }, false).catch(() => undefined);
  if (r?.events?.length) process.stderr.write(summaryLine(summarise(r.events)) + '\n');
  return code;
}
