/** A process that holds a store's index lock, as a daemon on its way out or another tool would (subcommandLockWait, serverStopHandoff). */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Test } from 'tap';
import { tempDir } from './helpers.js';

export interface HolderOptions {
  /** Named in daemon.pid, with a daemon's command line (`…/daemon/…/main.mjs`); else a tool's. */
  named: boolean;
  /** Lets go after this long: removes daemon.pid, then `lateMs` later closes the index and exits. Held for good without it. */
  leave?: { holdMs: number; lateMs: number };
}

/** Starts the holder of `dir`'s index; resolves once it holds it. Killed at the test's end. */
export async function holdIndex(t: Test, dir: string, o: HolderOptions): Promise<void> {
  const script = join(tempDir('holder'), ...(o.named ? ['daemon', 'stand-in'] : ['tool']), 'main.mjs');
  mkdirSync(join(script, '..'), { recursive: true });
  const level = createRequire(import.meta.url).resolve('classic-level');
  const leave = o.leave
    ? `setTimeout(() => rmSync(dir + '/daemon.pid'), ${o.leave.holdMs});
    setTimeout(async () => { await db.close(); process.exit(0); }, ${o.leave.holdMs + o.leave.lateMs});`
    : 'setInterval(() => undefined, 60_000);';
  writeFileSync(script, `
    import { writeFileSync, rmSync } from 'node:fs';
    const { ClassicLevel } = (await import(${JSON.stringify(level)})).default;
    const [dir] = process.argv.slice(2);
    const db = new ClassicLevel(dir + '/index');
    await db.open();
    ${o.named ? "writeFileSync(dir + '/daemon.pid', process.pid + '\\n');" : ''}
    console.log('holding');
    ${leave}
  `);
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL'));
  await new Promise<void>((res, rej) => {
    child.stdout.once('data', () => res());
    child.once('exit', (c) => rej(new Error(`the holder exited with ${c}`)));
  });
}
