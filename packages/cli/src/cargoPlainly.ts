import { join } from 'node:path';
import { cannotRunLine } from './cannotRun.js';

/**
 * `splitcache cargo …` where splitcache itself can't run (its install incomplete, a node too old
 * for it): cargo runs with this install's wrapper as RUSTC_WRAPPER, so each of its calls builds
 * uncached unless a daemon runs already, and this ends as cargo does. A build that works without
 * splitcache works so.
 */
export function runCargoPlainly(args: string[], install: string): Promise<number> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const env: NodeJS.ProcessEnv = { ...process.env, RUSTC_WRAPPER: join(install, 'bin', 'splitcache') };
  const ignored = (env.SPLITCACHE_IGNORED_SIGNALS ?? '').split(' ');
  delete env.SPLITCACHE_IGNORED_SIGNALS;
  const cargo = spawn(process.env.CARGO ?? 'cargo', args, { stdio: 'inherit', env });
  // A signal sent to this process alone is cargo's too (a terminal's reached it already, as it
  // signals the whole group; sent again it does no harm to a cargo that is stopping). One ignored
  // where this was started (`nohup`: bin/splitcache names it) is ignored here.
  const passOn = (s: NodeJS.Signals) => void (ignored.includes(s) || cargo.kill(s));
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, passOn);
  return new Promise<number>((res) => {
    cargo.on('error', (e) => {
      process.stderr.write(cannotRunLine(process.env.CARGO ?? 'cargo', e));
      res(127);
    });
    cargo.on('close', (code, signal) => res(code ?? 128 + (signal ? process.getBuiltinModule('node:os').constants.signals[signal] : 0)));
  });
}
