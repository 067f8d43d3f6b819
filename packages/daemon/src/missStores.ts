import { ingest, ingestError, type Staged } from './ingest.js';
import type { CallEvents } from './callEvents.js';
import type { FaultLines } from './faultLines.js';
import type { PendingCall } from './pendingCall.js';
import type { DoneReport } from './protocol.js';
import type { Services } from './services.js';
import { REFUSALS_BEFORE_GIVING_UP } from './rlinkSupport.js';

/**
 * Stores a miss's result (under its key's lock and the maintenance lock, which the caller
 * holds), counts it and writes its audit line; the entry key it was stored under, if it was.
 * A store that fails is a fault shown on the next reply, never the call's failure.
 */
export async function ingestMiss(s: Services, events: CallEvents, faults: FaultLines, p: PendingCall, req: DoneReport, staged?: Staged): Promise<string | undefined> {
  try {
    const r = await ingest(s.store, s.files, {
      inv: p.inv, mode: p.mode, crateType: p.crateType, cwd: p.cwd, table: p.table, manifestKey: p.key.key,
      components: p.key.components, startedAt: p.startedAt, compileMs: req.ms, stdout: req.stdout, stderr: req.stderr,
      rustcVersion: p.rustc.version, rlinkVersion: p.rustc.rlinkVersion, host: p.rustc.host, maxEntryBytes: s.config.maxEntryBytes, producer: s.config.producer,
    }, staged);
    if (r.stored) {
      if (p.mode === 'split') s.rustc.rlinks.note(p.rustc);
      s.stats.stored(r.bytes);
      s.maintenance.noteStored(r.bytes);
      await s.remoteReady; // a recache compiles without a lookup, so it may come first
      await s.uploads?.enqueue(r.entryKey, {
        manifestKey: p.key.key, crateName: p.inv.crateName!, inputs: r.inputs.map(([f]) => f), envDeps: r.envDeps.map(([n]) => n),
      });
    } else s.stats.count('notStored', r.reason);
    events.miss(p, r.stored ? { entryKey: r.entryKey } : { notStored: r.reason });
    return r.stored ? r.entryKey : undefined;
  } catch (err) {
    const e = ingestError(err);
    // The call compiled; what failed is storing its result, as the line says (not 'building uncached').
    faults.faultLater(e, 'this result is not stored; the build goes on');
    if (p.mode === 'split' && s.rustc.rlinks.note(p.rustc, e.code)) {
      const code = 'SPLITCACHE_RLINK_UNSUPPORTED';
      s.stats.count('errors', code);
      faults.later(code, `${code}: rustc ${p.rustc.rlinkVersion} writes .rlink files this splitcache can't read (${e.code}, ${REFUSALS_BEFORE_GIVING_UP} crates in a row): its crates that link are compiled plainly from now on, uncached; libs are cached as ever`);
    }
    s.stats.count('notStored', 'error');
    events.miss(p, { notStored: e.code });
    return undefined;
  }
}

/**
 * The store of each miss whose link step is still to run, by its call's token, as the entry key
 * it stored (or undefined): a link step that fails where a plain rustc succeeds evicts it
 * (CompileHandler.linked). Taken when the call reports its link step, or ends without doing so.
 */
export class MissStores {
  private readonly jobs = new Map<string, Promise<string | undefined>>();

  note(token: string, job: Promise<string | undefined>): void {
    // Bounded as a safeguard, as HeldHits is: a client that never ends its calls would grow it for good.
    if (this.jobs.size >= 10_000) this.jobs.delete(this.jobs.keys().next().value!);
    this.jobs.set(token, job.catch(() => undefined));
  }

  take(token: string): Promise<string | undefined> {
    const job = this.jobs.get(token);
    this.jobs.delete(token);
    return job ?? Promise.resolve(undefined);
  }
}
