// A concurrency hunt on one store: real cargo builds racing gc, verify, clear, server stop and
// SIGKILL of the daemon, looking for a failed build, a wrong hit, a lost blob, a hang or wrong stats.
//
//   node bench/raceHunt.mjs [--minutes 40] [--scratch DIR] [--max-size 40M] [--seed N] [--jobs 2]
//
// Two builders, each owning two checkouts (a copy of test/fixtures/workspace and the tokio
// workspace from Debian's crates), loop: maybe append a fn to a leaf source, maybe `cargo clean`,
// then `cargo build` or `cargo test --no-run` (-j1/-j2, CARGO_INCREMENTAL=0) through a counting
// shim in front of bin/splitcache. Every third build of a checkout is compared byte for byte
// with a plain build of the same source state (its own target dir swapped in under the same
// path); a binary that differs only in debug info naming the sibling checkout it was hit from
// is counted as `producerPath` (documented: no SPLITCACHE_REMAP), any other difference is an
// anomaly, both files kept under <scratch>/evidence. A chaos loop meanwhile runs gc, audit verify, clear (rarely), server stop and SIGKILL
// of the pid in daemon.pid. Every few minutes both pause at a quiet point: audit verify must
// find nothing bad or missing, and, over a window with no kill (a third have stops), the stats'
// hits + misses + pass-throughs must equal the compiling calls the shim saw.
// Anomalies (with the events before them) go to <scratch>/anomalies.jsonl; all events to
// <scratch>/events.log. Not part of npm test.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeTokioWorkspace } from '../test/fixtures/registry/make-workspace.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(repo, 'bin', 'splitcache')

function option(name, dflt) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : dflt
}
const minutes = Number(option('minutes', '40'))
const scratch = path.resolve(option('scratch', '/tmp/splitcache-racehunt'))
const maxSize = option('max-size', '40M')
const maxJobs = Number(option('jobs', '2'))
let seed = Number(option('seed', String(Date.now() % 100000)))
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
const pick = (xs) => xs[Math.floor(rand() * xs.length)]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const storeDir = path.join(scratch, 'store')
const t0 = Date.now()
const deadline = t0 + minutes * 60_000
const recent = []
const counts = { builds: 0, compared: 0, binaries: 0, producerPath: 0, gc: 0, verify: 0, clear: 0, stop: 0, kill: 0, stats: 0, quiet: 0, cleans: 0, edits: 0, anomalies: 0 }

function log(line) {
  const l = `${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} ${line}`
  recent.push(l)
  if (recent.length > 40) recent.shift()
  fs.appendFileSync(path.join(scratch, 'events.log'), `${l}\n`)
  process.stdout.write(`${l}\n`)
}
function anomaly(what, detail) {
  counts.anomalies++
  log(`ANOMALY ${what}: ${String(detail).slice(0, 600)}`)
  fs.appendFileSync(path.join(scratch, 'anomalies.jsonl'), `${JSON.stringify({ what, detail, recent: [...recent] })}\n`)
}

/** Runs a command; resolves { code, signal, stdout, stderr, ms, timedOut }. */
function run(cmd, args, { cwd = scratch, env = {}, timeoutMs = 20 * 60_000 } = {}) {
  return new Promise((resolve) => {
    const start = Date.now()
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start, timedOut })
    })
  })
}

const cacheEnv = {
  SPLITCACHE_DIR: storeDir,
  SPLITCACHE_MAX_SIZE: maxSize,
  SPLITCACHE_IDLE_TIMEOUT: '0',
  CARGO_INCREMENTAL: '0',
  CARGO_TERM_COLOR: 'never',
}
const sc = (args, timeoutMs = 180_000) => run(bin, args, { env: cacheEnv, timeoutMs })
const splitcacheLines = (text) => text.split('\n').filter((l) => /SPLITCACHE_|splitcache:/.test(l))

// --- setup ---------------------------------------------------------------------------------
fs.rmSync(scratch, { recursive: true, force: true })
fs.mkdirSync(scratch, { recursive: true })
const shim = path.join(scratch, 'count-shim.sh')
const callsLog = path.join(scratch, 'calls.log')
// One line per compiling call (a --crate-name in argv), before bin/splitcache runs it; not cargo's
// probe of a fresh target dir (`rustc - --crate-name ___ --print=file-names …`), an info call.
fs.writeFileSync(shim, `#!/bin/bash\ncase " $* " in *" --crate-name ___ "*) ;; *" --crate-name "*) echo "$$" >> ${callsLog};; esac\nexec ${bin} "$@"\n`, { mode: 0o755 })
fs.writeFileSync(callsLog, '')

const checkouts = []
for (const b of [0, 1]) {
  const fix = path.join(scratch, `fix-${b}`)
  fs.cpSync(path.join(repo, 'test/fixtures/workspace'), fix, { recursive: true, filter: (s) => !/[/\\](target|Cargo\.lock)$/.test(s) })
  checkouts.push({ builder: b, name: `fix-${b}`, dir: fix, leaf: path.join(fix, 'core/src/lib.rs'), root: path.join(fix, 'app/src/main.rs'), builds: 0, edits: 0 })
  const tok = makeTokioWorkspace(path.join(scratch, `tok-${b}`))
  checkouts.push({ builder: b, name: `tok-${b}`, dir: tok.dir, leaf: tok.leaf.file, root: tok.root.file, builds: 0, edits: 0 })
}

// --- state shared between loops ------------------------------------------------------------
let paused = false
let active = 0 // builds and chaos steps under way
let window = { calls: 0, dirty: false, why: [], stops: true, kills: true } // since the last quiet point
const baseCalls = () => fs.readFileSync(callsLog, 'utf8').split('\n').filter(Boolean).length

async function waitUnpaused() {
  while (paused) await sleep(200)
}

function executables(jsonOut) {
  const out = new Map()
  for (const line of jsonOut.split('\n')) {
    if (!line.startsWith('{')) continue
    let m
    try { m = JSON.parse(line) } catch { continue }
    if (m.reason === 'compiler-artifact' && m.executable) out.set(`${m.target.name}:${m.target.kind.join(',')}:${m.profile.test}`, m.executable)
  }
  return out
}

function cargoArgs(kind, jobs) {
  const base = kind === 'test' ? ['test', '--no-run'] : ['build']
  return [...base, '--workspace', '--offline', '-j', String(jobs), '--message-format=json-render-diagnostics']
}

async function build(co) {
  const kind = rand() < 0.3 ? 'test' : 'build'
  const jobs = 1 + Math.floor(rand() * maxJobs)
  const args = cargoArgs(kind, jobs)
  log(`build ${co.name} #${co.builds} cargo ${args.slice(0, 2).join(' ')} -j${jobs}`)
  const r = await run('cargo', args, { cwd: co.dir, env: { ...cacheEnv, RUSTC_WRAPPER: shim }, timeoutMs: 20 * 60_000 })
  counts.builds++
  co.builds++
  const lines = splitcacheLines(r.stderr)
  log(`built ${co.name} exit ${r.code}${r.timedOut ? ' TIMEOUT' : ''} ${(r.ms / 1000).toFixed(1)}s${lines.length ? ` lines: ${lines.slice(0, 3).join(' | ')}` : ''}`)
  if (r.timedOut) anomaly('build hang', `${co.name} cargo ${args.join(' ')}`)
  else if (r.code !== 0) anomaly('build failed', `${co.name} exit ${r.code}: ${r.stderr.split('\n').slice(-15).join('\n')}`)
  if (r.code === 0 && co.builds % 3 === 0) await compare(co, kind, jobs, executables(r.stdout))
}

/** A plain build of the same source state in the same path (its own target swapped in), then the bytes. */
async function compare(co, kind, jobs, got) {
  const target = path.join(co.dir, 'target')
  const cached = path.join(co.dir, 'target.sc')
  const plain = path.join(co.dir, 'target.plain')
  fs.renameSync(target, cached)
  if (fs.existsSync(plain)) fs.renameSync(plain, target)
  try {
    const r = await run('cargo', cargoArgs(kind, jobs), { cwd: co.dir, env: { CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never' } })
    if (r.code !== 0) { log(`plain build of ${co.name} failed (exit ${r.code}); not compared`); return }
    const want = executables(r.stdout)
    let differ = []
    for (const [k, exe] of got) {
      const rel = path.relative(target, exe)
      const p = want.get(k)
      if (!p) { differ.push(`${k}: no plain counterpart`); continue }
      const a = fs.readFileSync(path.join(cached, rel))
      const b = fs.readFileSync(p)
      counts.binaries++
      if (a.equals(b)) continue
      const why = await whyDiffers(co, a, b)
      const kept = path.join(scratch, 'evidence', `${co.name}-${co.builds}`)
      fs.mkdirSync(kept, { recursive: true })
      fs.writeFileSync(path.join(kept, `${path.basename(rel)}.sc`), a)
      fs.writeFileSync(path.join(kept, `${path.basename(rel)}.plain`), b)
      if (why === 'producer-path') counts.producerPath++
      else differ.push(`${rel} (${a.length} vs ${b.length} bytes; ${why}; kept in ${kept})`)
    }
    counts.compared++
    log(`compared ${co.name}: ${got.size} executables, ${differ.length} differ`)
    if (differ.length) anomaly('binary differs from plain', `${co.name}: ${differ.join('; ')}`)
  } finally {
    fs.renameSync(target, plain)
    fs.renameSync(cached, target)
  }
}

/**
 * 'producer-path': the cached binary names another checkout of this hunt where plain's names
 * this one, and they are equal once debug info and build-id are dropped: a hit from a sibling
 * checkout keeps its producer's paths in debuginfo without SPLITCACHE_REMAP (a documented limit,
 * docs/ARCHITECTURE.md "What it does not"). Else 'differs'.
 */
async function whyDiffers(co, a, b) {
  const others = checkouts.filter((c) => c !== co).map((c) => c.dir)
  if (!others.some((d) => a.includes(d) && !b.includes(d))) return 'differs'
  const tmp = fs.mkdtempSync(path.join(scratch, 'cmp-'))
  try {
    const stripped = []
    for (const [name, bytes] of [['a', a], ['b', b]]) {
      fs.writeFileSync(path.join(tmp, name), bytes)
      const r = await run('objcopy', ['--strip-debug', '--remove-section=.note.gnu.build-id', name, `${name}.s`], { cwd: tmp })
      if (r.code !== 0) return 'differs'
      stripped.push(fs.readFileSync(path.join(tmp, `${name}.s`)))
    }
    return stripped[0].equals(stripped[1]) ? 'producer-path' : 'differs'
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

async function builder(b) {
  const mine = checkouts.filter((c) => c.builder === b)
  while (Date.now() < deadline) {
    await waitUnpaused()
    const co = pick(mine)
    active++
    try {
      if (rand() < 0.5) {
        const n = ++co.edits
        const file = rand() < 0.8 ? co.leaf : co.root
        // A test too, so that the edit shows in the test binaries compared (an unused pub fn leaves the bin as it was).
        fs.appendFileSync(file, `\npub fn hunt_${n}() -> u64 { ${n} }\n#[test]\nfn hunt_test_${n}() { assert_eq!(hunt_${n}(), ${n}); }\n`)
        counts.edits++
        log(`edit ${co.name} ${path.relative(co.dir, file)} (+hunt_${n})`)
      }
      if (rand() < 0.12) {
        await run('cargo', ['clean'], { cwd: co.dir })
        counts.cleans++
        log(`clean ${co.name}`)
      }
      await build(co)
    } catch (e) {
      anomaly('driver error', e.stack)
    } finally {
      active--
    }
    await sleep(rand() * 3000)
  }
}

function daemonPid() {
  try {
    const pid = Number(fs.readFileSync(path.join(storeDir, 'daemon.pid'), 'utf8').trim())
    if (!(pid > 1)) return undefined
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return cmd.includes('daemon') ? pid : undefined
  } catch {
    return undefined
  }
}

async function chaosStep() {
  const x = rand()
  let r
  if (x < 0.3) {
    const size = pick(['1', '10M', maxSize, '60M'])
    r = await sc(['gc', '--max-size', size])
    counts.gc++
    log(`gc --max-size ${size}: exit ${r.code} ${r.stdout.trim().split('\n').slice(-1)[0] ?? ''}`)
  } else if (x < 0.55) {
    r = await sc(['audit', 'verify'])
    counts.verify++
    log(`verify: exit ${r.code} ${r.stdout.trim().replace(/\n/g, ' | ').slice(0, 300)}`)
  } else if (x < 0.6) {
    r = await sc(['clear'])
    counts.clear++
    log(`clear: exit ${r.code} ${r.stdout.trim().slice(0, 200)}`)
  } else if (x < 0.75) {
    if (!window.stops) return
    r = await sc(['server', 'stop'])
    counts.stop++
    window.why.push('stop')
    log(`server stop: exit ${r.code} ${r.stdout.trim().slice(0, 200)}`)
  } else if (x < 0.9) {
    if (!window.kills) return
    const pid = daemonPid()
    if (pid) {
      process.kill(pid, 'SIGKILL')
      counts.kill++
      window.dirty = true
      window.why.push('kill')
      log(`SIGKILL daemon ${pid}`)
    }
    return
  } else {
    r = await sc(['stats'])
    counts.stats++
    log(`stats: exit ${r.code}`)
  }
  if (r.timedOut) anomaly('subcommand hang', recent[recent.length - 1])
  else if (r.code !== 0) anomaly('subcommand failed', `exit ${r.code}: ${r.stderr.trim().slice(0, 500)}`)
  else if (splitcacheLines(r.stderr).length) log(`  stderr: ${r.stderr.trim().slice(0, 300)}`)
}

async function chaos() {
  while (Date.now() < deadline) {
    await sleep(2000 + rand() * 15000)
    await waitUnpaused()
    active++
    try { await chaosStep() } catch (e) { anomaly('driver error', e.stack) } finally { active-- }
  }
}

async function statsJson() {
  const r = await sc(['stats', '--json'])
  try { return JSON.parse(r.stdout) } catch { anomaly('stats --json unreadable', `${r.code} ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`); return undefined }
}
/** Pids of daemons (their bundle) whose environment names this store. */
function storeDaemons() {
  const out = []
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('daemon/dist/')) continue
      if (fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`SPLITCACHE_DIR=${storeDir}`)) out.push(pid)
    } catch {}
  }
  return out
}
function counted(s) {
  const pass = Object.values(s.passthrough ?? {}).reduce((a, b) => a + b, 0)
  return { hits: s.hits, misses: s.misses, pass, total: s.hits + s.misses + pass }
}

let lastQuiet
async function quietPoint() {
  paused = true
  while (active > 0) await sleep(200)
  counts.quiet++
  log('quiet point')
  const v = await sc(['audit', 'verify'])
  log(`quiet verify: exit ${v.code} ${v.stdout.trim().replace(/\n/g, ' | ').slice(0, 400)}`)
  if (v.code !== 0) anomaly('quiet verify failed', `${v.code} ${v.stderr}`)
  if (/\b[1-9]\d* (bad|missing|damaged|corrupt|entries evicted)/i.test(v.stdout)) anomaly('quiet verify found damage', v.stdout.trim())
  // Blobs no entry needs, at a point where nothing is in flight: a killed ingest's leave them (gc's to remove).
  const g = await sc(['gc', '--max-size', '100G'])
  const orphans = Number(/removed (\d+) blobs/.exec(g.stdout)?.[1] ?? 0)
  log(`quiet gc: exit ${g.code} ${g.stdout.trim().slice(0, 200)}`)
  if (g.code !== 0) anomaly('quiet gc failed', `${g.code} ${g.stderr}`)
  if (orphans > 0 && !window.dirty) anomaly('orphaned blobs with no kill in the window', g.stdout.trim())
  const daemons = storeDaemons()
  if (daemons.length > 1) anomaly('more than one daemon on the store at a quiet point', daemons.join(' '))
  const s = await statsJson()
  const calls = baseCalls()
  if (s && lastQuiet) {
    const now = counted(s.stats ?? s)
    const d = now.total - lastQuiet.stats.total
    const c = calls - lastQuiet.calls
    log(`stats window: ${c} compiling calls seen, stats +${d} (hits +${now.hits - lastQuiet.stats.hits}, misses +${now.misses - lastQuiet.stats.misses}, pass +${now.pass - lastQuiet.stats.pass})${window.dirty ? ` [window had ${[...new Set(window.why)].join(', ')}]` : ''}`)
    if (!window.dirty && d !== c) anomaly('stats do not add up', `calls ${c}, hits+misses+pass ${d}`)
  }
  if (s) lastQuiet = { stats: counted(s.stats ?? s), calls }
  // A third of the windows have no stop or kill, a third stops only, so that their stats can be
  // checked (a SIGKILL loses the counts of up to a second, flushed once a second, and its calls in flight).
  const mode = Math.floor(rand() * 3)
  window = { calls: 0, dirty: false, why: [], stops: mode > 0, kills: mode > 1 }
  log(`window: ${['without stops or kills', 'with stops only', 'with stops and kills'][mode]}`)
  paused = false
}

async function quietLoop() {
  while (Date.now() < deadline) {
    const at = Date.now() + 4 * 60_000 + rand() * 120_000
    while (Date.now() < Math.min(at, deadline)) await sleep(1000)
    if (Date.now() < deadline) await quietPoint()
  }
}

log(`raceHunt: scratch ${scratch}, seed ${seed}, ${minutes} min, max size ${maxSize}`)
await quietPoint()
await Promise.all([builder(0), builder(1), chaos(), quietLoop()])
await quietPoint()
await sc(['server', 'stop']) // it runs with no idle timeout
log(`done: ${JSON.stringify(counts)}`)
fs.writeFileSync(path.join(scratch, 'counts.json'), JSON.stringify(counts, null, 2))
