import { ingest, ingestError, type Staged } from './ingest.js';
import type { CallEvents } from './callEvents.js';
import type { FaultLines } from './faultLines.js';
import type { PendingCall } from './pendingCall.js';
import type { DoneReport } from './protocol.js';
import type { Services } from './services.js';
import { REFUSALS_BEFORE_GIVING_UP } from './rlinkSupport.js';
import { crateCalled } from './crateCalled.js';

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
      widthUnread: p.widthUnread, freeFroms: p.key.freeFroms,
    }, staged);
    if (r.stored) {
      if (p.mode === 'split') s.rustc.rlinks.read(p.rustc);
      s.stats.stored(r.bytes);
      s.maintenance.noteStored(r.bytes);
      await s.remoteReady; // a recache compiles without a lookup, so it may come first
      await s.uploads?.enqueue(r.entryKey, {
        manifestKey: p.key.key, crateName: p.inv.crateName!, inputs: r.inputs.map(([f]) => f), envDeps: r.envDeps.map(([n]) => n),
        ...(p.missReason === 'recache' && { resend: true }),
      }, callName(p));
    } else s.stats.count('notStored', r.reason);
    events.miss(p, r.stored ? { entryKey: r.entryKey } : { notStored: r.reason });
    return r.stored ? r.entryKey : undefined;
  } catch (err) {
    const e = ingestError(err);
    // The call compiled; what failed is storing its result, as the line says (not 'building uncached').
    // Which crate's: a line held for the next reply is shown on another crate's call (an error-message audit's find).
    faults.faultLater(e, `the result of ${callName(p)} is not stored; the build goes on`);
    if (p.mode === 'split') s.rustc.rlinks.refused(req.token, p.rustc, e.code);
    s.stats.count('notStored', 'error');
    events.miss(p, { notStored: e.code });
    return undefined;
  }
}

/**
 * A miss's link step has ended (`ok`: it linked): a refusal of its `.rlink` for the file's
 * format counts now (rlinkSupport.ts), and the one that makes the compiler's format unsupported
 * is told to the builds.
 */
export function rlinkLinked(s: Services, faults: FaultLines, token: string, ok: boolean): void {
  if (!s.rustc.rlinks.linked(token, ok)) return;
  const code = 'SPLITCACHE_RLINK_UNSUPPORTED';
  s.stats.count('errors', code);
  // In place of the refusal's own line if still waiting (SPLITCACHE_RLINK_FOOTER): this one says more. Not of another fault's.
  faults.later(code, `${code}: this rustc writes .rlink files this splitcache can't read (${REFUSALS_BEFORE_GIVING_UP} of its crates that link, read by their link steps and not here): its crates that link are compiled plainly, uncached, until the daemon restarts; libs are cached as ever`, 'SPLITCACHE_RLINK_');
}

/**
 * The store of each miss whose link step is still to run, by its call's token, as the entry key
 * it stored (or undefined): a link step that fails where a plain rustc succeeds evicts it
 * (CompileHandler.linked). Taken when the call reports its link step, or ends without doing so.
 */
export class MissStores {
  private readonly jobs = new Map<string, Promise<string | undefined>>();

  /** `linked`: told of each call's link step as it is taken (`ok`: it linked), or dropped (forget). */
  constructor(private readonly linked: (token: string, ok: boolean) => void = () => undefined) {}

  note(token: string, job: Promise<string | undefined>): void {
    // Bounded as a safeguard, as HeldHits is: a client that never ends its calls would grow it for good.
    if (this.jobs.size >= 10_000) this.jobs.delete(this.jobs.keys().next().value!);
    this.jobs.set(token, job.catch(() => undefined));
  }

  take(token: string, linked = false): Promise<string | undefined> {
    this.linked(token, linked);
    const job = this.jobs.get(token);
    this.jobs.delete(token);
    return job ?? Promise.resolve(undefined);
  }
}

/** A call's crate as a line names it: a build script by its package's name (`fx-core's build script`), as cargo does. */
export function callName(p: Pick<PendingCall, 'inv' | 'crateType' | 'pkg'>): string {
  return crateCalled(p.inv.crateName, p.crateType, p.pkg) ?? 'the crate';
}
