// `node bench/storeLookups.mjs [--entries 100000] [--requests 2000] [--warmup 300]`:
// lookup latency of the daemon with a large store. Fills the index with synthetic
// entries (straight into LevelDB: the lookup path never reads record blobs), stores
// one real crate through the wrapper, then times compile requests for it over the
// socket, as a client sends them: each is a full hit (key, manifest, input check,
// replay). The first `warmup` requests, to a daemon just started, are timed apart:
// they run before V8 has compiled the daemon's hot path (the slowest requests of an
// unwarmed run cluster there), which is start-up cost, not the index's. They are
// reported beside the steady-state figures, never dropped from the report.
// Writes bench/out/store-lookups.json; report.mjs puts it in BENCHMARKS.md.
import { spawnSync } from 'node:child_process'
import { connect } from 'node:net'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { measuredCommit, percentile, round } from './measure.mjs'

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (n, d) => (process.argv.includes(`--${n}`) ? Number(process.argv[process.argv.indexOf(`--${n}`) + 1]) : d)
const entries = arg('entries', 100_000)
const requests = arg('requests', 2000)
const warmup = arg('warmup', 300)
const { Store } = await import(path.join(repo, 'packages/store/dist/src/index.js'))
const { encodeFrame, FrameReader, socketPath, PROTOCOL_VERSION } = await import(path.join(repo, 'packages/daemon/dist/src/protocol.js'))
// The client's own codec: what every wrapper call packs with.
const { pack } = await import('msgpackr')

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'splitcache-lookups-'))
const dir = path.join(work, 'store')
const hex = (n, w = 32) => n.toString(16).padStart(w, '0')

// 1. Fill the index.
const t0 = performance.now()
const store = await Store.open(dir)
for (let i = 0; i < entries; i += 1000) {
  const ops = []
  for (let j = i; j < Math.min(entries, i + 1000); j++) {
    const entryKey = hex(j)
    const entry = { v: 1, mode: 'whole', crateName: `c${j}`, crateType: 'lib', outputs: [{ name: `libc${j}.rlib`, digest: hex(j + 1), size: 1000, form: 'raw', role: 'output' }], stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'bench', createdAt: Date.now(), rustcVersion: 'x', compileMs: 100, command: [], inputs: [] }
    ops.push({ type: 'put', key: `e!${entryKey}`, value: pack(entry) })
    ops.push({ type: 'put', key: `m!${hex(j, 31)}f`, value: pack({ v: 1, crateName: `c${j}`, components: [], results: [{ entryKey, inputs: [['src/lib.rs', hex(j)]], envDeps: [] }] }) })
  }
  await store.db.batch(ops)
}
// A real store gets its entries over weeks; this one got them in seconds. Let LevelDB finish
// compacting that burst now, so the lookups below are not timed against its compaction.
await store.db.compactRange('!', '~')
await store.close()
const fillS = (performance.now() - t0) / 1000

// For profiling: BENCH_DAEMON_FLAGS="--trace-gc" starts the daemon here, with those node
// flags and its output in BENCH_DAEMON_LOG (default: ignored), instead of on demand.
if (process.env.BENCH_DAEMON_FLAGS) {
  const { spawn } = await import('node:child_process')
  const out = process.env.BENCH_DAEMON_LOG ? fs.openSync(process.env.BENCH_DAEMON_LOG, 'w') : 'ignore'
  spawn(process.execPath, [...process.env.BENCH_DAEMON_FLAGS.split(' '), path.join(repo, 'packages/daemon/dist/bundle/main.cjs')], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, SPLITCACHE_DIR: dir } }).unref()
  while (!fs.existsSync(socketPath(dir))) await new Promise((r) => setTimeout(r, 20))
}

// 2. One real crate through the wrapper (a miss, stored).
const crate = path.join(work, 'crate')
fs.mkdirSync(path.join(crate, 'src'), { recursive: true })
fs.mkdirSync(path.join(crate, 'out'))
fs.writeFileSync(path.join(crate, 'src/lib.rs'), 'pub fn answer() -> u32 { 42 }\n')
// As old as a checkout's sources: a file modified in the last 2 s is never memoised (the
// digest memo's racy-mtime rule), so each request would read and hash it, twice.
const past = new Date(Date.now() - 60_000)
fs.utimesSync(path.join(crate, 'src/lib.rs'), past, past)
const rustc = spawnSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).stdout.trim() + '/bin/rustc'
const argv = [rustc, '--crate-name', 'answer', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-C', 'extra-filename=-b', '--out-dir', path.join(crate, 'out')]
const env = { ...process.env, SPLITCACHE_DIR: dir }
const first = spawnSync(path.join(repo, 'bin/splitcache'), argv, { cwd: crate, env })
if (first.status !== 0) throw new Error(`seed compile failed: ${first.stderr}`)
spawnSync(path.join(repo, 'bin/splitcache'), ['stats'], { env }) // waits for the background store

// 3. Time hits over the socket, sequentially and 8 at a time.
async function client() {
  const s = connect(socketPath(dir))
  await new Promise((r) => s.once('connect', r))
  const reader = new FrameReader()
  let wait
  s.on('data', (d) => { for (const f of reader.push(d)) wait(f) })
  return {
    ask: () => new Promise((r) => { wait = r; s.write(encodeFrame({ op: 'compile', v: PROTOCOL_VERSION, argv, cwd: crate, env })) }),
    close: () => s.end(),
  }
}
const one = await client()
async function timed(n) {
  const times = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    const plan = await one.ask()
    times.push(performance.now() - t)
    if (plan.action !== 'hit') throw new Error(`expected a hit, got ${plan.action}`)
  }
  return times
}
const warm = await timed(warmup)
const times = await timed(requests)
one.close()
const clients = await Promise.all(Array.from({ length: 8 }, client))
const tp = performance.now()
await Promise.all(clients.map(async (c) => { for (let i = 0; i < requests / 8; i++) await c.ask() }))
const parallelPerS = requests / ((performance.now() - tp) / 1000)
clients.forEach((c) => c.close())
spawnSync(path.join(repo, 'bin/splitcache'), ['server', 'stop'], { env })
fs.rmSync(work, { recursive: true, force: true })

const result = {
  measuredAt: new Date().toISOString(), ...measuredCommit(repo),
  entries, requests, fillSeconds: round(fillS, 1),
  warmup, firstMs: warm.length ? round(warm[0], 2) : null, warmupP99Ms: warm.length ? round(percentile(warm, 99), 2) : null,
  fromStartP99Ms: round(percentile([...warm, ...times], 99), 2),
  p50Ms: round(percentile(times, 50), 2), p95Ms: round(percentile(times, 95), 2), p99Ms: round(percentile(times, 99), 2),
  sequentialPerS: round(requests / (times.reduce((a, b) => a + b, 0) / 1000), 0), parallel8PerS: round(parallelPerS, 0),
  command: `node bench/storeLookups.mjs --entries ${entries} --requests ${requests} --warmup ${warmup}`,
}
fs.mkdirSync(path.join(repo, 'bench/out'), { recursive: true })
fs.writeFileSync(path.join(repo, 'bench/out/store-lookups.json'), JSON.stringify(result, null, 2) + '\n')
console.log(result)
