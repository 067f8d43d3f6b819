import { resolve } from 'node:path';
import { isSplitcacheError, SplitcacheError } from '@splitcache/errors';
import { callTypeLabel, crateNameOfCall, classify, compilerCall, driverVerdict, parseInvocation, plainAllowsFeatures, plainMangling, rustcArgsOf, splitPlan } from '@splitcache/rustc';
import { CallEvents, pkgOf } from './callEvents.js';
import { packageToRecord } from '@splitcache/store';
import { unlikePlainRun } from './unlikePlainRun.js';
import type { Services } from './services.js';
import { FaultLines } from './faultLines.js';
import { HeldHits, type HeldHit } from './heldHits.js';
import { incrementalHint } from './incrementalHint.js';
import { KeyedQueue } from './keyedQueue.js';
import { LastHits } from './lastHits.js';
import { LinkedLibraries } from './linkedLibraries.js';
import { IN_FLIGHT_WAIT_MS, MissesInFlight } from './missesInFlight.js';
import { StoresInFlight } from './storesInFlight.js';
import { stageSplit, type Staged } from './ingest.js';
import { findResult } from './lookup.js';
import { runsCargoLints } from './clippyConf.js';
import { featuresRefused, unstableFlagRefused } from './featureGate.js';
import { namesOwnCrateType } from './crateTypeAttr.js';
import { linkerOptionsRefused } from './linkerOptions.js';
import { plainArgsOf } from './terminalArgs.js';
import { argsForTerminal } from './terminalWidth.js';
import { outDirThroughLink } from './inputPath.js';
import { madeAfterHalf, makeTempsDir, tempsDirUnmade } from './tempsDirMade.js';
import { hungStoreLine } from './storeStall.js';
import { envOfCall } from './envDepValue.js';
import { externFiles } from './includeDirUse.js';
import { diagnosticForm } from './diagnosticForm.js';
import { buildManifestKey } from './manifestKey.js';
import { asksForNativeCpu } from './nativeCpu.js';
import { cargoCwdOf, prefixTableFor, rlinkUnwritable } from './prefixes.js';
import { newToken, type PendingCall as Pending } from './pendingCall.js';
import { settingValue, switchedOn, type CompilePlan, type DoneReply, type DoneReport, type Request } from './protocol.js';
import { remapArgs } from './remap.js';
import { rustSourceRemaps } from './rustSource.js';
import type { RemoteLookup } from './remoteTier.js';
import { replay } from './replay.js';
import { unlikePlain } from './unlikePlain.js';
import { stderrByEnv } from './keyedEnv.js';
import { asksForLinkerMessages } from './linkerMessages.js';
import { SettingsDrift } from './settingsDrift.js';
import { callName, ingestMiss, MissStores, rlinkLinked } from './missStores.js';
import { OwnObjects, ownMissObjects } from './privateObjects.js';

export type { Services };

/** What a caller of `compile` can be told while the plan is made. */
export interface PlanHooks {
  /** The call will end with a link step, a quiet bootstrap run (callFlow.ts): told before its key and lookup. */
  willLink?(): void;
}

/**
 * One rustc call, seen from the daemon: classify, key, look up, then either
 * replay a hit (outputs written, the link step handed back) or hand back the
 * command to run and store what it produced when the client reports `done`.
 */
export class CompileHandler {
  private readonly pending = new Map<string, Pending>();
  /** One ingest at a time per manifest key, so concurrent builds never race on a manifest. */
  private readonly keyLocks = new KeyedQueue();
  private readonly stores = new StoresInFlight();
  /** Misses being compiled, by manifest key: a call of the same key waits for one, then looks up again (missesInFlight.ts). */
  private readonly compiling = new MissesInFlight();
  /** The lines for builds: a line from background work (Services.showLater) kept for the next reply, taken for `server stop`'s. */
  readonly faults: FaultLines;
  readonly events: CallEvents;
  private readonly lastHits: LastHits;
  private readonly hits = new HeldHits((h, failed) => this.events.hit(h, failed));
  private readonly libraries = new LinkedLibraries();
  private readonly storedBy = new MissStores((token, ok) => rlinkLinked(this.s, this.faults, token, ok));
  private readonly drift: SettingsDrift;
  /** The objects each call's link step links under names of its own (privateObjects.ts), removed ten minutes after the call ends. */
  private readonly objects = new OwnObjects();

  constructor(private readonly s: Services) {
    this.events = new CallEvents(s);
    this.faults = new FaultLines(s);
    this.drift = new SettingsDrift(s.config.settings);
    this.lastHits = new LastHits(s.store);
  }

  async compile(req: Extract<Request, { op: 'compile' }>, hooks?: PlanHooks): Promise<CompilePlan> {
    if (this.s.home?.changed()) {
      // Nothing of this store is where this daemon looks any more: the call builds plainly, and the daemon stops.
      this.s.onStoreMoved?.();
      const warning = `splitcache: SPLITCACHE_STORE_IO: the store ${this.s.config.dir} was moved, removed or restored over while its daemon ran (building uncached; the daemon stops, and the next call starts one for the store as it is now)`;
      return { action: 'passthrough', reason: 'store-moved', warning: this.faults.dueToShow('SPLITCACHE_STORE_IO') ? warning : undefined };
    }
    // An upgrade in place: this call is served, and the daemon stops behind it, so the next starts the new one.
    if (this.s.install?.changed()) this.s.onInstallChanged?.();
    if (req.env.SPLITCACHE_LOG === 'debug') this.s.log.debugFromNowOn();
    // A store whose file system hangs: the call builds uncached, rather than wait the hang out (storeStall.ts).
    const plan = this.s.stall?.hung ? this.storeHung(req) : await this.plan(req, hooks);
    const notes = plan.warning ? [plan.warning] : [];
    // Settings of this call's that can't be used (once a minute for each set, so each build shows
    // them), and settings this daemon doesn't have (it keeps its starter's).
    const { problems, stale } = this.drift.look(req.env);
    if (problems.length > 0 && this.faults.dueToShow(`SPLITCACHE_CONFIG ${problems.join('\n')}`)) {
      for (const problem of problems) notes.push(`splitcache: SPLITCACHE_CONFIG: ${problem}`);
    }
    if (stale) notes.push(stale);
    if (notes.length > 0) plan.warning = notes.join('\n');
    return plan;
  }

  private async plan(req: Extract<Request, { op: 'compile' }>, hooks?: PlanHooks): Promise<CompilePlan> {
    const session = settingValue(req.env, 'SPLITCACHE_SESSION') ?? '';
    // rustc, or a driver in front of it (clippy-driver under `cargo clippy`), which runs in its place.
    const call = compilerCall(req.argv);
    // Another program: another tool in front of rustc (`cargo fix`'s, cargo-auditable), or a compiler not named rustc*.
    if (!call) {
      const inv = parseInvocation(rustcArgsOf(req.argv));
      return this.passThrough(session, inv.crateName ?? '', 'other-program', packageToRecord(inv.crateName, req.env), callTypeLabel(undefined, inv));
    }
    // An argument that was not UTF-8 reaches the daemon with U+FFFD for its bytes: the caller runs rustc with its own
    // (which rustc refuses). Before, the split halves ran with U+FFFD, and a build that plain rustc refuses succeeded.
    if (req.argv.some((a) => a.includes('\uFFFD'))) return this.passThrough(session, '', 'not-utf8');
    const { args, widthUnread } = await argsForTerminal(call.args, req.env, req.stderrTty, req.terminal); // what a plain rustc takes from a terminal
    let inv = parseInvocation(args);
    const pkg = packageToRecord(inv.crateName, req.env);
    const label = callTypeLabel(call.driver, inv);
    // A variable of a developer's that has rustc write to stderr what no result should hold runs the call plainly (keyedEnv.ts).
    const verdict = stderrByEnv(req.env) ?? driverVerdict(call.driver, classify(inv));
    if (!verdict.cacheable) return this.passThrough(session, inv.crateName ?? '', verdict.reason, pkg, label, verdict.reason === 'incremental' ? incrementalHint(this.s.config.dir, req.env) : undefined);
    if (call.driver && runsCargoLints(inv, req.cwd, req.env)) return this.passThrough(session, inv.crateName ?? '', 'clippy-cargo-lints', pkg, label);
    const { mode, crateType } = verdict;
    // A crate that links ends with rustc -Zlink-only, hit or miss (run as `call.program`, so not under a driver).
    if (mode === 'split' && !call.driver) hooks?.willLink?.();
    let p: Pending;
    try {
      const rustc = await this.s.rustc.get(call.program, req.cwd, req.env);
      // What a plain call of this compiler runs with: RUSTC_BOOTSTRAP=1 where the compiler sets it itself.
      const bootstrap = rustc.unstableAlways ? '1' : req.env.RUSTC_BOOTSTRAP;
      // A crate that links runs its halves with RUSTC_BOOTSTRAP=1 (their -Z flags): where a plain call refuses the call's
      // own -Z flags or its #![feature], it runs plainly. Paths from here on are cargo's, the cwd too (the kernel's has links resolved).
      const cwd = cargoCwdOf(req.cwd, req.env);
      const table = prefixTableFor(inv, cwd, req.env, rustc.sysroot, this.s.config.baseDirs);
      const refused = (mode === 'split' ? (this.s.rustc.rlinks.refuses(rustc) ?? featuresRefused(inv, req.cwd, rustc.release, bootstrap) ?? rlinkUnwritable(table) ?? namesOwnCrateType(inv, req.cwd)) : unstableFlagRefused(inv, rustc.release, bootstrap)) ?? outDirThroughLink(inv.outDir, req.cwd) ?? tempsDirUnmade(inv, req.cwd, req.umask, req.creds) ?? (await linkerOptionsRefused(call.program, rustc, inv, req.cwd, req.env, bootstrap));
      if (refused) return this.passThrough(session, inv.crateName ?? '', refused, pkg, label);
      // The remap flags are derived from the prefix table, so the key records only that they are on:
      // their order depends on path lengths, which differ between checkouts.
      const native = asksForNativeCpu(inv, req.cwd, req.env, rustc.sysroot) ? await this.s.nativeCpu.get(call.program, rustc, inv, req.cwd, req.env) : undefined;
      const key = await buildManifestKey(inv, rustc, cwd, req.env, table, this.s.files, { remap: this.s.config.remap, nativeCpu: native, driver: call.driver, realCwd: req.cwd });
      if (this.s.config.remap) inv = parseInvocation([...args, ...remapArgs(table, req.env), ...rustSourceRemaps(inv.sysroot, req.cwd, rustc)]);
      const outputMode = req.umask === undefined ? 0o644 : 0o666 & ~req.umask;
      p = { session, ...pkgOf({ pkg }), inv, mode, crateType, cwd, table, key, rustc, startedAt: Date.now(), plainBootstrap: bootstrap, outputMode, dirMode: req.umask === undefined ? 0o755 : 0o777 & ~req.umask, widthUnread, forgetRustc: () => this.s.rustc.forget(call.program, req.cwd, req.env, rustc) };
      if (mode === 'split') {
        const sp = splitPlan(inv, plainMangling(rustc.release, bootstrap, inv.crateName), plainAllowsFeatures(rustc.release, bootstrap, inv.crateName), !asksForLinkerMessages(inv, req.cwd));
        p.noLinkArgs = sp.noLinkArgs;
        p.link = { args: [...call.lead, ...sp.linkOnlyArgs], rlinkPath: resolve(cwd, sp.rlinkPath), plainArgs: plainArgsOf(call.lead, call.args, args) };
      }
      // SPLITCACHE_RECACHE=1 (this call's own environment): compile even if it would hit, and
      // store the result over the one there, as CCACHE_RECACHE / SCCACHE_RECACHE do.
      if (switchedOn(req.env.SPLITCACHE_RECACHE)) p.missReason = 'recache';
      else {
        // A result of this key still being stored in the background (the call before's, just
        // reported) is waited for: looked up before it commits, it would be compiled again.
        await this.keyLocks.idle(key.key);
        let hit = await this.s.maintenance.lock.shared(() => this.lookup(p, req.env));
        // Another call compiles this key now (a concurrent build of the same commit): its result is
        // waited for, and looked up once it is stored. Outside the maintenance lock, which its store takes.
        const compiling = hit ? undefined : this.compiling.waitFor(key.key, IN_FLIGHT_WAIT_MS);
        if (compiling) {
          const waitStart = Date.now();
          await compiling;
          await this.keyLocks.idle(key.key);
          p.waitedMs = Date.now() - waitStart;
          hit = await this.s.maintenance.lock.shared(() => this.lookup(p, req.env));
        }
        if (hit) return hit;
      }
    } catch (err) {
      // A cache fault costs time, never a build: run rustc plainly.
      const warning = this.faults.fault(err);
      this.s.stats.passthrough('cache-error', crateType);
      this.events.add({ session, crate: inv.crateName!, ...pkgOf({ pkg }), crateType, outcome: 'passthrough', reason: `cache-error:${(err as { code?: string }).code ?? 'unknown'}` });
      return { action: 'passthrough', reason: 'cache-error', warning };
    }
    this.s.stats.miss(crateType);
    const token = newToken();
    p.startedAt = Date.now();
    this.pending.set(token, p);
    this.compiling.begin(p.key.key, token);
    if (p.link) this.libraries.note(token, p.inv, p.cwd);
    // A driver runs as it was called, given the rustc path first (the link step too).
    return { action: 'run', token, args: [...call.lead, ...(p.noLinkArgs ?? inv.args)], bootstrap: mode === 'split', warning: this.faults.take() };
  }

  private storeHung(req: Extract<Request, { op: 'compile' }>): CompilePlan {
    const plan = this.passThrough(settingValue(req.env, 'SPLITCACHE_SESSION') ?? '', crateNameOfCall(req.argv), 'store-hung');
    return { ...plan, warning: hungStoreLine(this.s.config.dir, this.s.stats, this.faults) };
  }

  /** `crateType`: the call's label (callTypeLabel), counted in its type's `pass` column; none for a call of no compiler. */
  private passThrough(session: string, crate: string, reason: string, pkg?: string, crateType = '', note?: string): CompilePlan {
    this.s.stats.passthrough(reason, crateType || undefined);
    this.events.add({ session, crate, ...pkgOf({ pkg }), crateType, outcome: 'passthrough', reason });
    return { action: 'passthrough', reason, warning: [this.faults.take(), note].filter(Boolean).join('\n') || undefined };
  }

  private async lookup(p: Pending, env: Record<string, string>): Promise<CompilePlan | undefined> {
    const { store } = this.s;
    const form = diagnosticForm(p.inv, p.widthUnread);
    env = envOfCall(env, p.inv);
    const local = await findResult(await store.getManifest(p.key.key), p.cwd, env, p.table, this.s.files, form, p.key.freeFroms);
    let result = local.result;
    p.missReason = local.reason;
    // An entry fetched from the remote when no key checked it is not served by a daemon that has one:
    // the remote's signed record is looked up instead, or the crate is compiled again over it.
    let checked = result && this.s.config.remote?.signingKey ? await store.getEntry(result.entryKey) : undefined;
    if (checked?.fetched === 'unsigned') {
      [result, checked] = [undefined, undefined];
      p.missReason = 'unchecked-download';
    }
    let remote: RemoteLookup | undefined;
    if (!result) await this.s.remoteReady;
    if (!result && this.s.remote) {
      remote = await this.s.remote.fetch({
        manifestKey: p.key.key, crateName: p.inv.crateName!, components: p.key.components, cwd: p.cwd, env, table: p.table, form, externs: externFiles(p.inv, p.cwd), freeFroms: p.key.freeFroms,
      });
      result = remote.result;
      p.remoteReason = remote.reason;
    }
    if (!result) return undefined;
    const entry = checked ?? (await store.getEntry(result.entryKey)); // the local result's, if the check above read it already
    // An entry removed since; or one whose replay would do otherwise than a plain rustc here, which the call runs instead.
    const unused = entry ? unlikePlain(entry, p.inv, p.cwd) : 'entry-gone';
    if (!entry || unused) {
      p.missReason = unused;
      return undefined;
    }
    const started = Date.now();
    makeTempsDir(p.inv, p.cwd, p.dirMode); // as a plain rustc makes it, which a hit doesn't run
    try {
      const out = await replay(store, entry, p.inv, p.cwd, p.table, p.rustc, this.s.files, p.outputMode, p.link !== undefined);
      this.lastHits.hit(result.entryKey);
      // A call that waited for another's compile of this key saved only what the wait didn't take (none, not less: `saved -3 ms`); a remote hit, what its download didn't.
      const timeSavedMs = Math.max(0, entry.compileMs - (Date.now() - started) - (remote?.fetchMs ?? 0) - (p.waitedMs ?? 0));
      const hit: HeldHit = {
        session: p.session, crate: p.inv.crateName!, ...pkgOf(p), crateType: p.crateType, outcome: 'hit', key: p.key.key, entryKey: result.entryKey,
        origin: remote ? 'remote' : 'local', producer: entry.producer, signature: remote?.signature ?? entry.fetched ?? 'local', bytes: out.bytes, timeSavedMs,
        ...(p.waitedMs === undefined ? {} : { waitedMs: p.waitedMs }),
      };
      const token = newToken();
      if (p.link) {
        this.hits.hold(token, hit);
        this.libraries.note(token, p.inv, p.cwd);
        this.objects.note(token, out.objects);
      } else this.events.hit(hit);
      return { action: 'hit', token, stdout: out.stdout, stderr: out.stderr, code: 0, link: p.link && { ...p.link, objects: out.objects }, warning: this.faults.take() };
    } catch (err) {
      // A corrupt or missing blob: evict the entry so the next build recompiles it cleanly; its line
      // rides on this call's reply (the compile it now runs instead). An out-dir that can't be written
      // (SPLITCACHE_REPLAY: a full disk), or a blob that can't be read now (SPLITCACHE_STORE_IO: no file
      // descriptor left), is no fault of the entry's: it stays, for the next build to hit. The call
      // compiles, and (but for those) stores its result anew: not "building uncached".
      const kept = isSplitcacheError(err, 'SPLITCACHE_REPLAY') || isSplitcacheError(err, 'SPLITCACHE_STORE_IO');
      this.faults.faultLater(err, kept ? `compiling ${callName(p)} instead` : `the entry of ${callName(p)} is evicted; compiling it again`);
      p.missReason = `replay-failed:${(err as { code?: string }).code ?? 'error'}`;
      if (!kept) await store.deleteEntry(result.entryKey).catch(() => undefined);
      return undefined;
    }
  }

  async done(req: DoneReport): Promise<DoneReply> {
    const p = this.pending.get(req.token);
    if (!p) return {};
    this.pending.delete(req.token);
    try {
      return await this.report(req, p);
    } finally {
      // Its store, if any, is queued by now (keyLocks): a call that waited on this compile looks up behind it.
      this.compiling.end(p.key.key, req.token);
    }
  }

  /** A miss's compile has ended: store what it made, in the background where it can. */
  private async report(req: DoneReport, p: Pending): Promise<DoneReply> {
    madeAfterHalf(p, req.code); // a crate that links: its temps dir, where a plain rustc would have made it
    if (req.code >= 128) {
      // rustc ended by a signal (both clients report 128 + its number): a Ctrl-C, not a compile error.
      this.s.stats.count('notStored', 'interrupted');
      this.events.miss(p, { notStored: 'interrupted' });
      return {};
    }
    if (req.code !== 0) {
      // rustc's own error: already shown to the user; nothing is cached for it.
      this.s.stats.compileError();
      this.events.add({ session: p.session, crate: p.inv.crateName!, ...pkgOf(p), crateType: p.crateType, outcome: 'compile-error', key: p.key.key });
      return {};
    }
    // Stored in the background, off the build's critical path: a crate cached whole as soon as
    // rustc's outputs exist (nothing rewrites them during this build); a crate that links once its
    // files are staged, since its link step deletes the objects. Where they can't be staged, before the link.
    // Read the halves' RUSTC_BOOTSTRAP=1, or made by another rustc than the identity's: not stored; a crate that links runs again (unlikePlainRun.ts).
    const unlike = await unlikePlainRun(p);
    if (unlike !== undefined) {
      this.s.stats.count('notStored', unlike);
      this.events.miss(p, { notStored: unlike });
      if (!p.link) await this.settleIfLast();
      return p.link ? { rerun: { rlinkPath: p.link.rlinkPath, plainArgs: p.link.plainArgs }, warning: this.faults.take() } : { warning: this.faults.take() };
    }
    const staged = p.mode === 'split' ? await stageSplit(this.s.store.blobs.tmpDir, p.inv, p.cwd, req.token) : undefined;
    const job = this.store(p, req, staged);
    if (p.link) this.storedBy.note(req.token, job);
    if (p.mode === 'whole' || staged) this.stores.add(job);
    else await job;
    // A crate cached whole has no link step to outlast its store: the call ends with this reply.
    if (p.mode === 'whole') await this.settleIfLast();
    if (!p.link) return { warning: this.faults.take() };
    const objects = await ownMissObjects(p.link.rlinkPath, p.inv, p.cwd, p.rustc.host);
    this.objects.note(req.token, objects);
    return { link: { ...p.link, objects }, warning: this.faults.take() };
  }

  /** Waits for the stores in flight if the call ending now is the build's last (storesInFlight.ts). */
  settleIfLast(): Promise<void> {
    return this.stores.settleIfLast(this.pending.size);
  }

  /** Waits for background stores, so stats, audit and maintenance see every finished compile; false if cut short, the store hung (storeStall.ts). */
  settled(): Promise<boolean> {
    const done = this.stores.settled().then(() => this.events.audit.flush()).then(() => true);
    return this.s.stall ? this.s.stall.guard(done, () => false) : done;
  }

  /** Stores a miss's result; the entry key it was stored under, if it was. */
  private store(p: Pending, req: DoneReport, staged?: Staged): Promise<string | undefined> {
    return this.keyLocks.run(p.key.key, () => this.s.maintenance.lock.shared(() => ingestMiss(this.s, this.events, this.faults, p, req, staged)));
  }

  /**
   * A link step has ended. One that failed where the plain rustc the call fell back to failed
   * too (`plain`) failed for the crate's own reasons (a native library missing, an undefined
   * symbol): its objects are as good as a plain compile's, so the entry stays, for the build
   * that links once the cause is mended. Before, a hit's entry was evicted for it, and a miss's
   * kept; each build of such a crate compiled it three times over the next two builds. One that
   * failed where a plain rustc succeeds is the split's fault: the entry goes, a miss's too
   * (before, only a hit's: the next build hit it and failed its link again). A good link of a
   * hit is not reported (its token is forgotten when its call ends). cli/test/linkFallback.test.ts.
   */
  async linked(req: Extract<Request, { op: 'linked' }>): Promise<void> {
    const failed = req.code === 0 ? undefined : req.interrupted ? 'interrupted' : req.plain !== undefined && req.plain !== 0 ? 'link-error' : 'link-failed';
    const stored = this.storedBy.take(req.token, req.code === 0);
    const hit = this.hits.end(req.token, failed);
    // Not a hit: a miss's link step has ended, and its call with it; the last call of a build waits for the stores.
    if (!hit) {
      if (req.code === 0) this.outputsMade(req.token);
      if (failed === 'link-failed') {
        this.faults.fault(new SplitcacheError('SPLITCACHE_LINK_FAILED', `linking a miss's own objects failed (exit ${req.code}${req.detail ? `: ${req.detail}` : ''}) where a plain rustc succeeds; its entry evicted`));
        const entryKey = await stored;
        if (entryKey) await this.s.store.evictEntries(new Set([entryKey]), Date.now(), false).catch(() => undefined);
      }
      return this.settleIfLast();
    }
    this.libraries.take(req.token);
    if (failed !== 'link-failed') return;
    this.faults.fault(new SplitcacheError('SPLITCACHE_LINK_FAILED', `linking cached objects of ${hit.crate} failed (exit ${req.code}${req.detail ? `: ${req.detail}` : ''}); entry ${hit.entryKey} evicted`));
    if (hit.entryKey) await this.s.store.deleteEntry(hit.entryKey).catch(() => undefined);
  }

  /**
   * Ends a call: a miss never reported is counted as stored nothing (its client went away;
   * `reason`: else why, as an exec-port run lost to a full runs dir); a hit whose link step
   * was not reported as failed is counted as a hit, unless `reason` says its call was built plainly.
   */
  forget(token: string, reason = 'client-gone'): void {
    // A miss counted when it was planned and never reported: its audit line says so, as a reported one's would.
    const p = this.pending.get(token);
    if (p) {
      this.s.stats.count('notStored', reason);
      this.events.miss(p, { notStored: reason });
      this.compiling.end(p.key.key, token);
    }
    this.pending.delete(token);
    this.hits.end(token, reason === 'client-gone' ? undefined : reason);
    this.libraries.take(token);
    this.objects.drop(token);
    void this.storedBy.take(token);
  }

  /** The call of `token` ended well: the library its link step wrote, if any, is read now for the crates that use it. */
  outputsMade(token: string): void {
    const library = this.libraries.take(token);
    if (library !== undefined) void this.s.files.prime(library);
  }

  /** An exec-port call begins: until it is closed, no other call is the build's last (storesInFlight.ts). */
  openCall(): { close(): void } {
    return this.stores.openCall();
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}
