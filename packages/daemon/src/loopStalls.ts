import { readFileSync } from 'node:fs';
import type { Logger } from './log.js';

/** How often the loop's own clock is read. */
const TICK_MS = 250;
/** How long the loop may go without running before the log says so. */
const STALL_MS = 3000;

interface Times {
  /** ms on a CPU. */
  cpu: number;
  /** ms runnable, waiting for a CPU; undefined where the kernel doesn't say. */
  queued?: number;
}

/**
 * The event loop's thread's times: from its own schedstat (this runs on that thread), which
 * tells a thread waiting for a CPU from one asleep; else the whole process's CPU.
 */
function loopThreadTimes(): Times {
  try {
    const [cpu, queued] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
    if (Number.isFinite(cpu) && Number.isFinite(queued)) return { cpu: cpu! / 1e6, queued: queued! / 1e6 };
  } catch {
    /* no such file: below */
  }
  const u = process.cpuUsage();
  return { cpu: (u.user + u.system) / 1000 };
}

/**
 * What a hold of `held` ms, over which the loop's thread got `cpu` ms on a CPU and waited `queued`
 * for one, was: busy on a CPU four fifths of it, or starved waiting for one half of it; else a
 * thread runnable four fifths of it (on a CPU or waiting) was busy in one step if it ran more than
 * it waited, else starved; and one that was neither was stopped or asleep. Before that third rule,
 * a step slowed by a loaded machine (11.3 s on a CPU, 4.7 s waiting, of 15.8 s: a CI-like run on
 * f8131ef) was told as paused, each share alone under its bar.
 */
export function holdKind(held: number, cpu: number, queued: number | undefined): string {
  if (cpu >= held * 0.8) return 'busy in one step';
  if (queued === undefined) return 'starved of CPU, paused, or blocked in a system call';
  if (queued >= held * 0.5) return 'starved of CPU';
  if (cpu + queued < held * 0.8) return 'paused, or blocked in a system call';
  return cpu >= queued ? 'busy in one step' : 'starved of CPU';
}

/**
 * Says in the daemon's log when its event loop ran nothing for STALL_MS or
 * more (the figure is at most TICK_MS short), and what its thread did
 * meanwhile: ran (one step held the loop), waited for a CPU (a loaded
 * runner), or neither (a stopped process, a suspended machine, a system call
 * blocked on a file system). While the loop is held, callers wait, and the
 * daemon's timeouts on other processes run late (fairTimeout.ts): a CI run
 * whose daemon was held 10 s left no word of it, and this is that word.
 * Clocks are monotonic: a wall clock set forward is no hold.
 */
export function watchLoopStalls(log: Logger): void {
  let last = performance.now();
  let times = loopThreadTimes();
  setInterval(() => {
    const now = performance.now();
    const held = now - last - TICK_MS;
    const was = times;
    last = now;
    times = loopThreadTimes();
    if (held < STALL_MS) return;
    const cpu = times.cpu - was.cpu;
    const queued = times.queued !== undefined && was.queued !== undefined ? times.queued - was.queued : undefined;
    const waited = queued === undefined ? '' : `, ${(queued / 1000).toFixed(1)} s waiting for one`;
    log.warn(`the daemon's event loop ran nothing for ${(held / 1000).toFixed(1)} s (its thread ${(cpu / 1000).toFixed(1)} s on a CPU${waited}): ${holdKind(held, cpu, queued)}`);
  }, TICK_MS).unref();
}
