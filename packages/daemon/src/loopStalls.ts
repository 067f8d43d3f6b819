import type { Logger } from './log.js';

/** How often the loop's own clock is read. */
const TICK_MS = 1000;
/** How long the loop may go without running before the log says so. */
const STALL_MS = 3000;

/**
 * Says in the daemon's log when its event loop ran nothing for STALL_MS or
 * more, and how much CPU its process got meanwhile: about all of the time,
 * one step held the loop; little of it, the daemon was starved of CPU (a
 * loaded runner) or paused (a stopped process, a suspended machine). While
 * the loop is held, callers wait, and the daemon's timeouts on other
 * processes run late (fairTimeout.ts): a CI run whose daemon was held 10 s
 * left no word of it, and this is that word.
 */
export function watchLoopStalls(log: Logger): void {
  let last = Date.now();
  let cpu = process.cpuUsage();
  setInterval(() => {
    const now = Date.now();
    const gap = now - last;
    const used = process.cpuUsage(cpu);
    last = now;
    cpu = process.cpuUsage();
    if (gap < STALL_MS) return;
    const onCpu = (used.user + used.system) / 1000;
    const held = gap - TICK_MS;
    const why = onCpu >= held * 0.8 ? 'busy in one step' : 'starved of CPU, or paused';
    log.warn(`the daemon's event loop ran nothing for ${(held / 1000).toFixed(1)} s, with ${(onCpu / 1000).toFixed(1)} s of CPU: ${why}`);
  }, TICK_MS).unref();
}
