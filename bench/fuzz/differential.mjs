// Differential fuzzer for wrong hits: a random small cargo workspace and a random sequence of
// edits, env changes, flag/profile/command switches, cleans and moves; every step built through
// splitcache and plainly in the same directory (the plain build keeps its own target dir, swapped
// in at the same path), then compared (oracle.mjs). Not part of `npm test`: `npm run fuzz --
// --seed N --steps M`. See bench/README.md, "Differential fuzzer".

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { prng } from './prng.mjs'
import { newModel, writeWorkspace, render } from './workspace.mjs'
import { randomStep, remember, WEIGHTS } from './steps.mjs'
import { cargoBuild, runBins } from './cargoRun.mjs'
import { compare } from './oracle.mjs'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const WRAPPER = path.join(REPO, 'bin', 'splitcache')

function options(argv) {
  const o = { seed: 1, steps: 20, scratch: path.join(os.tmpdir(), 'splitcache-fuzz'), keep: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--seed') o.seed = Number(argv[++i])
    else if (a === '--steps') o.steps = Number(argv[++i])
    else if (a === '--scratch') o.scratch = path.resolve(argv[++i])
    else if (a === '--stop-at-first') o.stopAtFirst = true
    else if (a === '--weights') o.weights = weights(argv[++i])
    else if (a === '--help') { console.log('npm run fuzz -- [--seed N] [--steps M] [--scratch DIR] [--stop-at-first] [--weights kind=N,…]'); process.exit(0) }
    else throw new Error(`unknown option ${a}`)
  }
  return o
}

/** `env=20,data=0`: the step kinds' weights (steps.mjs) over the defaults, to draw one axis often. */
function weights(spec) {
  const w = { ...WEIGHTS }
  for (const kv of spec.split(',')) {
    const [k, n] = kv.split('=')
    if (!(k in WEIGHTS) || !(Number(n) >= 0)) throw new Error(`--weights: ${kv} (kinds: ${Object.keys(WEIGHTS).join(' ')})`)
    w[k] = Number(n)
  }
  return w
}

const o = options(process.argv.slice(2))
const root = path.join(o.scratch, `seed-${o.seed}`)
fs.rmSync(root, { recursive: true, force: true })
const store = path.join(root, 'store')
fs.mkdirSync(store, { recursive: true })
const scEnv = { RUSTC_WRAPPER: WRAPPER, SPLITCACHE_DIR: store, SPLITCACHE_LOG: 'debug' }
const stats = () => JSON.parse(spawnSync(WRAPPER, ['stats', '--json'], { env: { ...process.env, ...scEnv }, encoding: 'utf8' }).stdout)
const logPath = path.join(store, 'daemon.log')
const logSize = () => { try { return fs.statSync(logPath).size } catch { return 0 } }
const newLog = (from) => { try { return fs.readFileSync(logPath, 'utf8').slice(from) } catch { return '' } }

const r = prng(o.seed)
const ws = newModel(r)
let dirN = 0
let dir = path.join(root, `co${dirN}`)
const history = []
const seen = new Map() // full-state signature → exit code of its splitcache build
let differences = 0
// A checkout copied with its target dirs holds crates cargo built elsewhere and never asked the
// cache for here: their first compile here is no needless miss, until a clean.
let inherited = false

const swap = (from, to) => { if (fs.existsSync(path.join(dir, from))) fs.renameSync(path.join(dir, from), path.join(dir, to)) }
const say = (s) => console.log(s)
say(`seed ${o.seed}: ${ws.members.map((m) => `${m.name}:${m.kind}${m.deps.length ? '<-' + m.deps.join(',') : ''}${m.reg.length ? '+' + m.reg : ''}${m.build ? '+build' : ''}`).join(' ')}`)

for (let step = 0; step <= o.steps; step++) {
  const ctx = { dir }
  const s = step === 0 ? { what: 'initial build' } : randomStep(r, ws, history, ctx, o.weights)
  if (ctx.clean) {
    if (ctx.clean === 'cargo clean') spawnSync('cargo', [`+${ws.toolchain}`, 'clean'], { cwd: dir, stdio: 'ignore' })
    else fs.rmSync(path.join(dir, 'target'), { recursive: true, force: true })
    fs.rmSync(path.join(dir, '.plain-target'), { recursive: true, force: true })
    inherited = false
  }
  if (ctx.move) {
    // Paths of other lengths and depths: every path the outputs embed is rewritten to another length.
    const to = path.join(root, ...ctx.move.under, `co${++dirN}`)
    fs.mkdirSync(path.dirname(to), { recursive: true })
    spawnSync('cp', ['-a', dir, to])
    if (!ctx.move.keepTarget) for (const t of ['target', '.plain-target']) fs.rmSync(path.join(to, t), { recursive: true, force: true })
    dir = to
    delete ws.via
    if (ctx.move.link) {
      ws.via = path.join(root, `link${dirN}`)
      fs.symlinkSync(to, ws.via)
    }
    inherited = ctx.move.keepTarget
  }
  writeWorkspace(dir, ws)
  const sig = JSON.stringify([dir, ws.via, render(ws), ws.env, ws.rustflags, ws.profile, ws.cmd, ws.cmd === 'build-p' ? ws.pkg : null, ws.toolchain])
  const before = stats()
  const logFrom = logSize()
  const sc = cargoBuild(dir, ws, scEnv)
  const after = stats()
  const calls = newLog(logFrom).split('\n').filter((l) => / (hit|miss|passthrough) /.test(l))
  sc.runs = runBins(dir, sc)
  const hits = after.hits - before.hits
  const misses = after.misses - before.misses
  const found = []
  // A second build through splitcache: everything Fresh, and no rustc call at all.
  if (sc.code === 0) {
    const again = cargoBuild(dir, ws, scEnv)
    const stale = again.artifacts.filter((a) => !a.fresh).map((a) => a.name)
    if (again.code !== 0) found.push(`second build exited ${again.code}`)
    if (stale.length) found.push(`second build not Fresh: ${stale.join(', ')}`)
  }
  if (misses > 0 && !inherited && seen.get(sig) === 0) found.push(`needless misses (${misses}) in a state built before (${s.quiet ? 'a touch' : 'a revisit'}): ${calls.filter((l) => / miss /.test(l)).join(' | ')}`)
  seen.set(sig, sc.code)
  swap('target', '.sc-target')
  swap('.plain-target', 'target')
  const plain = cargoBuild(dir, ws, {})
  plain.runs = runBins(dir, plain)
  swap('target', '.plain-target')
  swap('.sc-target', 'target')
  const notes = []
  found.push(...compare(sc, plain, ws, { dir: ws.via ?? dir, real: dir, root, moved: dirN > 0, notes }))
  remember(history, ws)
  say(`step ${step}: ${s.what} [${ws.toolchain} ${ws.cmd} ${ws.profile} RUSTFLAGS="${ws.rustflags}" env=${JSON.stringify(ws.env)}] exit ${sc.code}/${plain.code} hits ${hits} misses ${misses}${found.length ? ' DIFFERENCES ' + found.length : ''}`)
  if (s.what.startsWith('copy') && misses) say(`  misses after the copy: ${calls.filter((l) => / miss /.test(l)).join(' | ').slice(0, 2000)}`)
  for (const n of notes) say(`  ~ ${n}`)
  for (const f of found) say(`  ! ${f}`)
  if (found.length) {
    differences += found.length
    fs.writeFileSync(path.join(root, `step-${step}.json`), JSON.stringify({ step, what: s.what, found, model: ws, sc: { ...sc, env: undefined }, plain: { ...plain, env: undefined }, calls }, null, 1))
    if (o.stopAtFirst) break
  }
}
spawnSync(WRAPPER, ['server', 'stop'], { env: { ...process.env, ...scEnv }, stdio: 'ignore' })
say(`seed ${o.seed}: ${differences} difference(s); workspace and store in ${root}`)
process.exitCode = differences ? 1 : 0
