// "Reading the targets" in docs/BENCHMARKS.md: what each verdict rests on.
// Every figure said to be "this run" is computed from results.json, so the text stays true after
// every run. Facts measured once, by hand, carry the date they were measured and how to measure
// them again; they explain a verdict, they are not the verdict.

import { judgeTargets } from './summary.mjs'

const x2 = (v) => `${v.toFixed(2)}×`
const range = (r) => (r?.n > 1 ? ` (single runs ${r.min.toFixed(2)}–${r.max.toFixed(2)})` : '')
const verdicts = (rows, target) =>
  rows
    .filter((t) => t.target === target && t.value != null)
    .map((t) => `${t.workload} ${t.value.split(' ')[0]}${t.verdict === 'met' ? '' : ' ✗'}`)
    .join(', ')

/** Per-run ratios of one tool's two scenarios (other dir / clean, say), as min–max. */
function perRun(w, tool, a, b) {
  const v = (w.runs ?? []).map((r) => r.tools[tool]?.[a]?.ms / r.tools[tool]?.[b]?.ms).filter((n) => Number.isFinite(n))
  return v.length ? `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}` : '–'
}

/** What the 1-minute load average at a run's start says about its figures (two cores). */
export function loadWords(start) {
  const n = Number(start)
  if (start == null || Number.isNaN(n)) return 'not recorded'
  return n > 0.5 ? 'above ~0.5: other work was sharing the cores, and the figures are noisier' : 'under ~0.5: the cores were otherwise idle'
}

export function readingTheTargets(results, lookups) {
  const rows = judgeTargets(results)
  const measured = results.workloads.filter((w) => w.scenarios && w.kind !== 'synthetic')
  const real = measured.filter((w) => w.kind === 'real')
  const get = (id) => measured.find((w) => w.id === id)
  const bare = results.nodeStartup.map((n) => n.bareP50 ?? n.p50)
  const out = ['## Reading the targets', '']
  out.push('✗ marks a missed target. Figures said to be from this run are computed from it; the others were measured once, by hand, on the date given.', '')

  // How much to trust a ratio near its limit.
  const spreads = real
    .map((w) => ({ id: w.id, s: w.scenarios.cold?.tools.plain?.seconds }))
    .filter((x) => x.s?.n > 1)
    .map((x) => `${x.id} ${x.s.min.toFixed(1)}–${x.s.max.toFixed(1)} s`)
  out.push(
    `- **Noise.** Load average ${results.load?.start ?? '?'} when this run started (${loadWords(results.load?.start)}). ` +
      (spreads.length ? `Plain cargo's own cold builds ranged ${spreads.join(', ')} over the runs. ` : '') +
      'A median ratio within a few hundredths of its limit can land on either side of it from one run to the next.',
  )

  // Hit overhead.
  const starts = measured.map((w) => `${w.id} ${w.scenarios['warm-clean']?.tools.splitcache?.startP50 ?? '–'} ms`).join(', ')
  out.push(
    `- **Hit overhead, target 1.5× a bare \`node -e 0\`** (this run: ${verdicts(rows, 'hit overhead p50 ≤ 1.5× bare node -e 0')}). ` +
      `The bare figure is node alone on idle cores, at the start and the end of the run (${bare.join(' and ')} ms). ` +
      'Since commit 72cb944 a call reaches the daemon through its exec port once the daemon listens (docs/ARCHITECTURE.md, "The exec port"): no node starts for it. Since commit 2f44f0e bash runs each rustc the daemon plans (a hit\'s link step, a miss\'s compile), as its own child. ' +
      `Its time before the daemon has the request (bash's start, the connection, and the daemon's check that the pid it sent is the caller's), p50: ${starts}. ` +
      'Since commit 7c85346 that check reads the caller\'s start tick from /proc; before, it read /proc/net/tcp, which the kernel writes by walking every bucket of its connection hash, 5-12 ms a read on this machine (warm tokio, 4 alternating pairs, 2026-12-03: p50 9.5-11.9 ms before, 1.6-2.4 ms after). ' +
      'Until commit 39eb7e3 the calls of a build that came before its daemon listened (a daemon is stopped before each warm build here) ran the node client; the fixture has five calls, so those weighed on its median. Since then a call that finds the daemon starting waits for its exec port (docs/ARCHITECTURE.md). ' +
      'The node client alone, one lib hit at a time on idle cores (`node bench/hitOnce.mjs --runs 80` with `SPLITCACHE_CLIENT=node`, 2026-11-30): 40–45 ms against 34–35 ms for bare node, 1.20–1.27×.',
  )

  // Warm clean vs sccache.
  const sums = real
    .map((w) => {
      const t = w.scenarios['warm-clean']?.tools.splitcache
      return t?.workSumMs != null ? `${w.id} ${(t.workSumMs / 1000).toFixed(2)} s of link work and ${(t.overheadSumMs / 1000).toFixed(2)} s of wrapper overhead over ${t.overheadCalls} calls, ${((t.overheadCalls * (t.startP50 ?? 0)) / 1000).toFixed(2)} s of it before the daemon had the request` : null
    })
    .filter(Boolean)
  out.push(
    `- **Warm clean, target 0.5× sccache** (this run: ${verdicts(rows, 'warm clean ≤ 0.5× sccache')}; ` +
      measured.map((w) => `${w.id}${range(w.scenarios['warm-clean']?.ratios['splitcache/sccache'])}`).join(', ') +
      '). ' +
      (sums.length ? `Summed over one build's calls (CPU time on two cores): ${sums.join('; ')}. ` : '') +
      'sccache compiles again every crate that links; its client starts in ~1 ms, as bash does for splitcache\'s exec port. ' +
      'Since commit e1dc563 a large output is copied out of its blob by the kernel (copy_file_range, or a reflink where the file system has them) and verified as the copy is read back; before, it was written from a buffer in the daemon, which during a build took 250–600 ms for tokio\'s 24 MB rlib on this machine, against 23–47 ms (docs/ARCHITECTURE.md; warm clean tokio, 5 alternating pairs, 2026-12-04: 1.73–2.22 s against 2.11–2.36 s). ' +
      'Hard-linking the link step\'s objects from their blobs instead of writing copies was tried (2026-11-30): rustc -Zlink-only refuses read-only objects, and with writable blobs grep\'s warm build was no faster (4.3–4.8 s either way, four builds each). Dropped. ' +
      'Hard-linking replayed rlibs and rmeta files was tried too (2026-12-04): warm clean tokio 1.78–2.34 s against 2.61–3.24 s with the old buffered copy, but rustc refuses to write over a read-only output (`output file … is not writeable`), a writable blob would be changed by any tool that writes an output in place, and a linked output keeps its blob\'s old mtime, so the next `cargo build` found those crates older than their build-script runs and compiled them again (`the dependency … was rebuilt`). Dropped.',
  )

  // Other directory vs clean.
  out.push(
    `- **Warm other directory, target ≈ warm clean (≤ 1.10×)** (this run: ${verdicts(rows, 'warm other dir ≈ warm clean (≤ 1.10×)')}). ` +
      'Every call hits in the other directory too; what differs is the prefix table, the rewritten paths, and input files hashed again at their new paths. ' +
      `The same ratio run by run, for splitcache and for plain cargo (whose work is the same in both): ${measured.map((w) => `${w.id} ${perRun(w, 'splitcache', 'warm-other-dir', 'warm-clean')} and ${perRun(w, 'plain', 'warm-other-dir', 'warm-clean')}`).join('; ')}. ` +
      'On an idle machine (2026-12-01, grep, three pairs alternating, daemon stopped before each build) the other directory took 3.07–3.27 s and the clean target 3.20–3.40 s. ' +
      'Since commit 1f518ae a daemon started again takes the file digests the last one read (digests.json, docs/ARCHITECTURE.md), so a warm clean build no longer reads its sources again, while the other directory must read each at its new path (a daemon with no digests kept opened ~1,200 files for reading over such a grep build, strace): warm clean grep with the kept digests against without them, 4 alternating pairs (2026-12-04, `cargo build -q`): 1.82–2.40 s against 2.01–2.53 s. ' +
      'The other directory itself did not get slower: commit 8d310f8 against 353585a, grep, 5 alternating pairs (the same day): 1.75–2.10 s against 1.74–2.23 s. ' +
      "The run on commit 41c7e86 (2026-12-05 04:12, load 0.52 at its start, with other work on the cores) against e1818a9's (2026-12-04, load 0.22): warm clean tokio 1.53 s against 1.95 s, grep 1.62 s against 2.15 s; other directory tokio 1.86 s against 2.14 s, grep 2.04 s against 2.33 s. Both were faster, the clean target more (the wrapper's overhead summed over a build's calls: tokio 0.43 s against 0.69 s, grep 0.49 s against 0.91 s; a hit's p50 5.2 ms against 9.0 ms), so the ratio rose past 1.10 there. What the other directory adds is reading each input at its new path.",
  )

  // Cold.
  out.push(
    `- **Cold, target 1.15× plain** (this run: ${verdicts(rows, 'cold ≤ 1.15× plain')}; ` +
      measured.map((w) => `${w.id}${range(w.scenarios.cold?.ratios['splitcache/plain'])}, sccache ${x2(w.scenarios.cold?.ratios['sccache/plain']?.median ?? NaN)} in the same runs`).join('; ') +
      '). ' +
      'What a node client cost, measured on cold grep builds one after another (2026-12-01, same machine): plain cargo 38.2 s; a null wrapper that only starts node and spawns rustc, 43.0 s (1.13×); a prototype of the exec port, 40.8 s (1.07×). ' +
      'A node start is 65–80 ms of CPU here (`perf stat -r 40 node -e 0`: 66 ms task-clock, 2,143 page faults), and a two-core build pays it out of rustc\'s CPU once per call: 72 calls in grep. ' +
      'So the node client could not meet 1.15× whatever it did; through the exec port what is left is the second rustc process of each crate that links (the split the design asks for), the daemon\'s own work (key, ingest) and bash\'s start. ' +
      'The split, by hand (2026-12-01, proc-macro2\'s build script, 4 runs each): one plain rustc 513–619 ms; `-Zno-link` 348–419 ms then `-Zlink-only` 255–290 ms. A rustc process costs ~60 ms of CPU before it does anything (`perf stat -r 20 rustc -vV`: 60 ms task-clock, 1,917 page faults: loading the 150 MB librustc_driver), and grep has 19 crates that link. ' +
      'The daemon\'s own CPU in a cold grep build, read from /proc after the build: 5.6–6.5 s before commit 03c0623, 4.2–4.5 s since. Most of the difference was reading each output into a new Buffer, whose every page faulted on first touch; large outputs are now streamed through reused buffers (docs/ARCHITECTURE.md). ' +
      'Those buffers were 4 MiB until commit baddf2e; every rustc the daemon spawns forks it, and after a fork each page of a buffer faults again on its next write. With 256 KiB buffers, and small files digested through one reused buffer instead of a new one each, the daemon\'s CPU in cold grep builds went from 4.7–5.1 s to 3.6–3.8 s (3 alternating pairs, 2026-12-01), and in warm ones from 2.1–2.4 s to 1.7–2.1 s (5 pairs). The buffers are 512 KiB now (within a few ms of 256 KiB on single files, better on an 18.9 MB rlib); 5 more cold pairs, in a noisier hour, gave 3.6–5.0 s against 4.6–5.3 s. ' +
      'What was left of it was mostly spawning: a CPU profile of the daemon over a cold grep build (node --cpu-prof) put 1.35 s of its main thread in ChildProcess.spawn, 6.7 ms a call, since node forks the whole daemon (75 MB resident) and waits for the child to exec. Since commit 2f44f0e the bash trampoline runs each rustc (docs/ARCHITECTURE.md, "The exec port"); bash forks a 4 MB process. The daemon\'s CPU in cold grep builds, alternating the two commits (2026-12-02, fresh store each, 8 pairs, a noisy host: whole builds took 42–54 s): 4.1–5.1 s before, 2.5–3.4 s after; its main thread was busy 1.75 s of a 55 s build (the profile again). A partial bench right after (grep cold, 4 runs, 2026-12-02 02:17): 1.11× plain (1.08–1.16), sccache 1.26× in the same runs. ' +
      'Since commit 3e558fc a stored crate\'s texts are searched for the absolute paths it read under the checkout (docs/ARCHITECTURE.md, "Paths across checkouts") once per prefix those paths share, not once per path: a profile of the daemon over a cold tokio build (2026-12-05, a loaded machine) had 0.80 s of its main thread\'s 4.1 s busy in that search (tokio\'s own crate reads 236 files, each searched 236 times); the daemon\'s CPU in cold tokio builds, 2 alternating pairs the same day: 2.49–2.70 s before, 2.04–2.13 s after. ' +
      'Where tokio\'s cold overhead goes, with nothing else running (2026-12-05 16:45, commit 8c7bba5, load average 1.75 at the start from the work before, `npm run bench -- --only tokio --tools plain,splitcache --scenarios cold --runs 4`): 1.16, 1.19, 1.14 and 1.07× plain run by run, median 1.15×. Summed over one build\'s 52 calls, the wrapper\'s own time (each call\'s wall time less its rustc runs) was 0.29–0.33 s, and the 19 link steps took 4.2–4.5 s. A link step is the linker, which a plain rustc runs too, plus a rustc start: for serde_derive (a proc-macro on the critical path), 5 alternating runs by hand, one plain rustc took 2.43–2.94 s and the two halves 2.54–3.47 s (0.11–0.53 s more, median 0.21 s); `-Ztime-passes` puts `run_linker` at 0.20–0.25 s in both, and the whole `-Zlink-only` run at 0.27 s. The daemon used 1.9–2.2 s of CPU per cold tokio build (2 builds, read from /proc), its main thread 1.6 s of it under a profiler, ~0.2 s in writing small blobs.',
  )

  // The fixture.
  const fx = get('fixture')
  if (fx) {
    const wc = fx.scenarios['warm-clean']?.tools ?? {}
    const plain = wc.plain?.seconds.median
    const sccache = wc.sccache?.seconds.median
    out.push(
      `- **The fixture** (this run, warm clean: plain ${plain?.toFixed(2)} s, sccache ${sccache?.toFixed(2)} s, splitcache ${wc.splitcache?.seconds.median.toFixed(2)} s; ` +
        `so 0.3× plain is ${(0.3 * plain).toFixed(2)} s and 0.5× sccache ${(0.5 * sccache).toFixed(2)} s): ` +
        'five calls, three of them links (the proc-macro, the build script, the bin), and a daemon stopped before each warm build. ' +
        'Its critical path is the build script\'s link, its run, the lib that uses its output, and the bin\'s link: two links of 60–110 ms each, about 0.2 s at the least before cargo\'s own work, which takes 0.2 s before its first crate (two `rustc -vV` probes and a `--print`, all run by bin/splitcache straight through). ' +
        'Since commit 6771ad2 the first of those probes starts the daemon (docs/ARCHITECTURE.md), which is then listening when the first crates come, so they take the exec port; before, the first crates came before it listened and each started a node client. Against commit 01745ff (2026-12-02, alternating, daemon stopped before each build): warm clean p50 0.97 s against 1.10 s (8 builds each: 0.91–1.01 s and one of 1.82 s, against 1.04–1.12 s and one of 1.76 s), cold with a new store 1.70 against 1.90 s (1.62–1.93 against 1.80–2.02 s, 6 each). ' +
        'Its cold build makes a new store each time, with no rustc identity recorded: since commit 21c2086 the daemon probes the first call\'s rustc while it starts, with one rustc run instead of two (2026-12-01, 6 alternating cold builds each with -q: 2.22–2.55 s, median 2.36, against 2.35–2.68 s, median 2.46). bin/splitcache has started the daemon in a store dir that does not exist yet only since commit 8e8fd73, so runs on earlier commits (ab229dd\'s, 2026-12-01, among them) had no overlapped daemon start in their cold builds. Commit ab229dd against 811f1cf on the same machine (2026-12-01, 8 alternating builds each, daemon stopped): cold 0.80–1.12 s against 0.79–1.04 s (medians 0.89 and 0.91), warm clean 0.47–0.67 s against 0.53–0.62 s (medians 0.53 and 0.58). ' +
        'Having the first calls of a build wait in bash for the starting daemon\'s exec port, instead of each starting a node client, was tried (2026-12-01, daemon stopped before each build, alternating): warm clean 1.11–1.17 s against 1.07–1.13 s (9 builds each), cold 2.08–2.34 s against 2.03–2.21 s (4 each). No gain then: the daemon\'s start (120–170 ms to its exec port here) was the wait either way. Tried again on 2026-12-04, with the daemon listening ~100 ms after cargo starts: warm clean 310–352 ms against 329–377 ms (8 alternating pairs), cold 526–615 ms against 544–672 ms (6 pairs). Kept since commit 39eb7e3. ' +
        'Every hit of a crate that links runs `-Zlink-only` by design, so neither fixture target can be met by any wrapper that keeps to it.',
    )
  }

  // cargo clippy: no target; figures for the record.
  const clippy = get('grep')?.scenarios
  const cc = clippy?.['clippy-cold']?.ratios
  const cw = clippy?.['clippy-warm']?.ratios
  out.push(
    '- **`cargo clippy`** (no target; grep only): workspace members run through clippy-driver, cached under keys of their own (docs/ARCHITECTURE.md, "What gets cached"). ' +
      (cc && cw
        ? `This run: cold ${x2(cc['splitcache/plain']?.median ?? NaN)} plain (sccache ${x2(cc['sccache/plain']?.median ?? NaN)}), warm ${x2(cw['splitcache/plain']?.median ?? NaN)} plain and ${x2(cw['splitcache/sccache']?.median ?? NaN)} sccache. `
        : '') +
      'First measured 2026-12-01 (commit eb53769, `npm run bench -- --only grep --scenarios clippy-cold,clippy-warm --runs 3`): warm 5.99–6.65 s against plain 26.1–28.1 s (0.23×) and sccache 20.4–22.2 s (0.29×), every call a hit; cold 1.18× plain (29.3–34.0 s against 25.9–28.7 s), sccache 1.45×. ' +
      'A cold clippy run pays the split of each crate that links, as a cold build does, over less work: its libs are checked, not compiled.',
  )

  if (lookups) {
    out.push(
      `- **Store lookups** (this run's measurement: p99 ${lookups.p99Ms} ms${lookups.p99Ms <= 5 ? '' : ' ✗'}, target 5 ms${lookups.warmup ? `; ${lookups.fromStartP99Ms} ms counting the ${lookups.warmup} warm-up requests` : ''}): a full hit asked over the socket, one at a time, with ${lookups.entries.toLocaleString('en')} entries. ` +
        'The daemon answers without thread-pool hops where it can (`getSync`, synchronous small-file I/O; docs/ARCHITECTURE.md); what is left is mostly the socket and the scheduler, so the tail follows the machine\'s load. ' +
        'Measured by hand on an idle machine (2026-12-02): a bare `ping` over the same socket has a p99 of 1.4–2.2 ms, and the daemon\'s own time per hit (request read to reply written, a patched bundle) was p50 0.43 ms and p99 1.5 ms once warm. ' +
        'Since commit bb9ff44 the benchmark times its first 300 requests apart: they run before V8 has compiled the daemon\'s hot path, and the slowest requests of an unwarmed run clustered among them (start-up cost, which the hit-overhead and daemon-start figures cover). ' +
        'Its crate\'s source is also dated a minute back, as a checkout\'s are: written just before the timing, it was younger than the digest memo\'s 2 s racy window, so every request read and hashed it twice, which no warm build does.',
    )
  }
  out.push('')
  return out
}
