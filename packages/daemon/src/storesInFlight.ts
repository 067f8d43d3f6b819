import { fairDelay } from './fairTimeout.js';
/**
 * The stores that calls leave going on in the background once they have
 * answered (a crate cached whole: as soon as rustc's outputs exist; a crate
 * that links: once its objects are staged, during its link step), and the
 * wait of a build's last call for them.
 *
 * A build in a container ends the container (`docker run --rm … cargo build`,
 * a Dockerfile's `RUN cargo build` over a cache mount, a CI step whose job
 * container stops), and every process in it is killed at once, the daemon
 * too: the store begun for the build's last crate, after its call had already
 * answered, was lost, and that crate missed in every build (3 of 4 times for
 * `cargo build -p fx-util` here). So a call that ends while no other call is
 * under way (a miss compiling, or any exec-port call: a hit's link step, a
 * miss's) waits, up to LAST_STORE_WAIT_MS, for the stores in flight; while
 * other calls go on, nothing waits: they end later, and the last one waits
 * for all. Until 2026-12-04 only a miss compiling counted: a cold tokio build's
 * calls waited 3 times (24, 6 and 68 ms), against once now, its last.
 */
export class StoresInFlight {
  private readonly jobs = new Set<Promise<unknown>>();
  /** Exec-port calls under way (ExecServer opens and closes each). */
  private openCalls = 0;

  add(job: Promise<unknown>): void {
    this.jobs.add(job);
    void job.finally(() => this.jobs.delete(job));
  }

  /**
   * An exec-port call begins: until it is closed, no other call is the build's last. An
   * exec-port miss's `done` counts its own call, so it waits only once closed.
   */
  openCall(): { close(): void } {
    this.openCalls++;
    let open = true;
    return {
      close: () => {
        if (open) this.openCalls--;
        open = false;
      },
    };
  }

  /** Waits for the stores in flight if this call, ending, is the build's last: `pendingMisses` other misses compiling say it is not. */
  async settleIfLast(pendingMisses: number): Promise<void> {
    if (pendingMisses > 0 || this.openCalls > 0 || this.jobs.size === 0) return;
    const cap = fairDelay(LAST_STORE_WAIT_MS);
    await Promise.race([Promise.allSettled([...this.jobs]), cap.elapsed]);
    cap.clear();
  }

  /** Waits for every store in flight, those begun meanwhile too. */
  async settled(): Promise<void> {
    while (this.jobs.size > 0) await Promise.allSettled([...this.jobs]);
  }
}

/** How long the last call of a build waits for the stores in flight before it ends anyway. */
const LAST_STORE_WAIT_MS = 5_000;
