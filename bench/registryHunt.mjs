// A breadth hunt over Debian's crate registry: build real crates plainly and through
// bin/splitcache in several checkouts and target dirs, and compare every output byte for byte.
//
//   node bench/registryHunt.mjs [--only a,b] [--scratch DIR] [--projects wide,units] [--keep]
//
// Projects:
//   wide   one generated workspace that depends on every registry crate that resolves alongside
//          the others (notable features on), a bin that loads each, an integration test, a build
//          script and a proc-macro of its own
//   units  unpacked copies of single registry crates with a build script or a proc-macro,
//          built with `cargo build --all-targets` where their dev-dependencies resolve offline
// Scenarios per project (each with its own fresh SPLITCACHE_DIR, shared by its scenarios):
//   cold-A, warm-A (after `cargo clean`), other-B (same path length), other-C (another length),
//   space-D (a space in the path), target-dir (another --target-dir in A), release (after debug).
// Each scenario's outputs are compared with a plain cargo build of the same checkout, target
// dir and profile. Every miss in a warm scenario is listed with `splitcache explain`'s first
// line. Results go to <scratch>/results.json and a table on stdout. Not part of npm test.

import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_REGISTRY } from '../test/fixtures/registry/make-workspace.mjs'
import { baseEnv, SPLITCACHE_BIN } from './tools.mjs'
import { isProcMacro, registryCrates, resolveWide, run, stripDevDeps, writeUnit, writeWide } from './registryProjects.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function parseArgs(argv) {
  const o = { only: null, scratch: path.join(process.env.TMPDIR ?? '/tmp', 'splitcache-hunt'), projects: ['wide', 'units'], keep: false, registry: DEFAULT_REGISTRY, scenarios: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--only') o.only = new Set(argv[++i].split(','))
    else if (a === '--scratch') o.scratch = path.resolve(argv[++i])
    else if (a === '--projects') o.projects = argv[++i].split(',')
    else if (a === '--scenarios') o.scenarios = new Set(argv[++i].split(','))
    else if (a === '--registry') o.registry = path.resolve(argv[++i])
    else if (a === '--keep') o.keep = true
    else if (a === '--help') {
      process.stdout.write('usage: node bench/registryHunt.mjs [--only crate,…] [--projects wide,units] [--scenarios cold-A,…] [--scratch DIR] [--registry DIR] [--keep]\n')
      process.exit(0)
    } else throw new Error(`unknown option ${a}`)
  }
  return o
}

/** Every output worth comparing under target/<profile>: path relative to it → sha256. */
function snapshot(profileDir) {
  const out = new Map()
  const walk = (d, rel) => {
    let entries
    try {
      entries = fs.readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (!['.fingerprint', 'incremental'].includes(e.name)) walk(path.join(d, e.name), r)
      } else if (e.isFile() && !/(^|\/)(\.cargo-lock|invoked\.timestamp|output|stderr|root-output)$/.test(r)) {
        out.set(r, crypto.createHash('sha256').update(fs.readFileSync(path.join(d, e.name))).digest('hex').slice(0, 16))
      }
    }
  }
  walk(profileDir, '')
  return out
}

function compare(ref, got) {
  const differ = []
  const missing = []
  for (const [k, v] of ref) {
    if (!got.has(k)) missing.push(k)
    else if (got.get(k) !== v) differ.push(k)
  }
  const extra = [...got.keys()].filter((k) => !ref.has(k))
  return { files: ref.size, differ, missing, extra }
}

function splitcacheCli(cacheDir, args) {
  return run(SPLITCACHE_BIN, args, { env: { ...process.env, SPLITCACHE_DIR: cacheDir } })
}

/** The audit lines of one session: [{ crate, crateType, outcome, ... }]. */
function auditOf(cacheDir, session) {
  const res = splitcacheCli(cacheDir, ['audit', '--json', '--session', session])
  if (!res.ok) return []
  const text = res.stdout.trim()
  try {
    const v = JSON.parse(text)
    return Array.isArray(v) ? v : [v]
  } catch {
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
  }
}

const SCENARIOS = ['cold-A', 'warm-A', 'other-B', 'other-C', 'space-D', 'target-dir', 'release-cold', 'release-warm']

/**
 * Runs every scenario on one project. make(dir) writes a fresh copy of it at dir; args are
 * cargo's build arguments. Returns one row per scenario.
 */
function runProject(o, name, make, args, log) {
  const root = path.join(o.scratch, name)
  fs.rmSync(root, { recursive: true, force: true })
  const cacheDir = path.join(root, 'cache')
  const home = path.join(root, 'cargo-home')
  const env = baseEnv(home)
  const scEnv = (session) => ({ ...env, RUSTC_WRAPPER: SPLITCACHE_BIN, SPLITCACHE_DIR: cacheDir, SPLITCACHE_SESSION: session })
  const dirs = { A: path.join(root, 'a', 'ws'), B: path.join(root, 'b', 'ws'), C: path.join(root, 'longer-checkout', 'ws'), D: path.join(root, 'with space', 'ws') }
  const rows = []
  const cargo = (cwd, extra, e) => {
    const res = run('cargo', [...args, '--offline', '-j', '2', ...extra], { cwd, env: e })
    return res
  }
  // One comparison: plain build → reference, clean, splitcache build → compare.
  const scenario = (id, dirKey, { extra = [], profile = 'debug', targetDir = null, skipPlain = false, before = null } = {}) => {
    if (o.scenarios && !o.scenarios.has(id)) return null
    const cwd = dirs[dirKey]
    if (!fs.existsSync(cwd)) make(cwd)
    const tdir = targetDir ?? path.join(cwd, 'target')
    const tArgs = targetDir ? ['--target-dir', targetDir] : []
    const prof = path.join(tdir, profile)
    const row = { project: name, scenario: id, ok: true }
    let ref = null
    if (!skipPlain) {
      fs.rmSync(tdir, { recursive: true, force: true })
      const p = cargo(cwd, [...extra, ...tArgs], env)
      if (!p.ok) {
        row.ok = false
        row.log = path.join(root, `${id}-plain.log`)
        fs.writeFileSync(row.log, p.stderr)
        row.note = `plain build failed: ${lastLines(p.stderr)} (${row.log})`
        log(`  ${id}: plain build failed — ${row.note}`)
        rows.push(row)
        return row
      }
      ref = snapshot(prof)
      refs.set(`${dirKey}:${tdir}:${profile}`, ref)
      fs.rmSync(`${tdir}.plain`, { recursive: true, force: true })
      fs.renameSync(tdir, `${tdir}.plain`)
    } else ref = refs.get(`${dirKey}:${tdir}:${profile}`)
    before?.()
    fs.rmSync(tdir, { recursive: true, force: true })
    const s = cargo(cwd, [...extra, ...tArgs], scEnv(`${name}:${id}`))
    const lines = s.stderr.split('\n').filter((l) => /SPLITCACHE_/.test(l))
    if (lines.length) row.splitcacheLines = lines.slice(0, 5)
    if (!s.ok) {
      row.ok = false
      row.log = path.join(root, `${id}-splitcache.log`)
      fs.writeFileSync(row.log, s.stderr)
      row.note = `splitcache build failed: ${lastLines(s.stderr)} (${row.log})`
    }
    const events = auditOf(cacheDir, `${name}:${id}`)
    row.calls = events.length
    row.hits = events.filter((e) => e.outcome === 'hit').length
    row.misses = events.filter((e) => e.outcome === 'miss').length
    row.other = events.length - row.hits - row.misses
    const missed = events.filter((e) => e.outcome === 'miss')
    row.missed = missed.map((e) => `${e.pkg ?? e.crate}(${e.crateType}${e.reason ? `: ${e.reason}` : ''})`)
    row.passthrough = events.filter((e) => e.outcome === 'passthrough').map((e) => `${e.pkg ?? e.crate}(${e.crateType}: ${e.reason})`)
    if (id !== 'cold-A' && id !== 'release-cold') {
      row.explained = missed.slice(0, 12).map((e) => {
        const x = splitcacheCli(cacheDir, ['explain', e.pkg ?? e.crate, '--session', `${name}:${id}`, '--type', e.crateType])
        return `${e.pkg ?? e.crate}(${e.crateType}): ${(x.stdout + x.stderr).trim().split('\n').slice(0, 8).join(' / ')}`
      })
    }
    if (ref) {
      const got = snapshot(prof)
      const c = compare(ref, got)
      row.files = c.files
      row.differ = c.differ
      row.missing = c.missing
      row.extra = c.extra
      row.identical = c.differ.length === 0 && c.missing.length === 0
      // Each differing file: known (a proc-macro's crate hash), debug-only (the same once debug
      // sections and build-id are dropped: another checkout's paths), or a real difference.
      const elsewhere = [...Object.values(dirs), path.join(root, 'a', 'other-target')].filter((d) => d !== cwd && !tdir.startsWith(`${d}/`)).map((d) => `${d}/`)
      row.differ = c.differ.map((f) => `${f} [${classify(path.join(`${tdir}.plain`, profile), prof, f, elsewhere)}]`)
      row.unexplained = row.differ.filter((f) => f.endsWith('[differs]'))
      row.kinds = {}
      for (const f of row.differ) {
        const k = /\[([^\]]+)\]$/.exec(f)[1]
        row.kinds[k] = (row.kinds[k] ?? 0) + 1
      }
      if (c.differ.length) row.hitDiffers = c.differ.filter((f) => events.some((e) => e.outcome === 'hit' && f.includes((e.crate ?? '').replace(/-/g, '_'))))
    }
    rows.push(row)
    log(`  ${id}: ${row.ok ? 'ok' : 'FAILED'} hits ${row.hits}/${row.calls} misses ${row.misses}${row.identical === false ? ` DIFFER ${row.differ.length} missing ${row.missing.length}` : row.identical ? ' identical' : ''}${row.note ? ` — ${row.note}` : ''}`)
    return row
  }
  const refs = new Map()
  make(dirs.A)
  scenario('cold-A', 'A')
  scenario('warm-A', 'A', { skipPlain: true })
  if (!o.scenarios || o.scenarios.has('warm-A')) runChecks(dirs.A, args, env, scEnv(`${name}:tests`), rows, name, log)
  scenario('other-B', 'B')
  scenario('other-C', 'C')
  scenario('space-D', 'D')
  scenario('target-dir', 'A', { targetDir: path.join(root, 'a', 'other-target') })
  scenario('release-cold', 'A', { extra: ['--release'], profile: 'release' })
  scenario('release-warm', 'A', { extra: ['--release'], profile: 'release', skipPlain: true })
  splitcacheCli(cacheDir, ['server', 'stop'])
  if (!o.keep) for (const d of Object.values(dirs)) fs.rmSync(path.join(d, 'target'), { recursive: true, force: true })
  return rows
}

/**
 * Why a file differs from plain cargo's: 'uplift-race' (a bin or example that cargo hardlinks
 * from whichever of its two units, bin and test-mode twin, `--all-targets` finished last; equal to
 * one of plain's hashed copies), 'debug-only' (equal once debug sections and the build-id are
 * dropped: another checkout's paths, a known limit), 'crate-hash' (an rlib, rmeta or .so of the
 * same size: a split crate's SVH and those recorded by crates over it, a known limit), or 'differs'.
 */
function classify(plainDir, scDir, rel, elsewhere = []) {
  const scFile = path.join(scDir, rel)
  const plainFile = path.join(plainDir, rel)
  const y = fs.readFileSync(scFile)
  const x = fs.readFileSync(plainFile)
  // A hit's dep-info also names a sibling checkout's (or target dir's) copy of an input recorded
  // under its placeholder (docs/ARCHITECTURE.md, nearInputs.ts): a known, designed difference.
  if (rel.endsWith('.d') && elsewhere.length) {
    const drop = (text) => text.split('\n').map((l) => l.split(/(?<!\\) /).filter((t) => !elsewhere.some((e) => t.replace(/\\ /g, ' ').startsWith(e))).join(' ')).filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n')
    if (drop(y.toString()) === drop(x.toString())) return 'near-input'
  }
  const base = path.basename(rel)
  if (!/-[0-9a-f]{16}/.test(base)) {
    const dir = path.dirname(plainFile)
    const stem = base.replace(/\.[^.]*$/, '')
    const ext = base.slice(stem.length)
    const twins = fs.readdirSync(dir).filter((n) => n.startsWith(`${stem}-`) && /^-[0-9a-f]{16}$/.test(n.slice(stem.length, n.length - ext.length)) && n.endsWith(ext))
    if (twins.some((n) => fs.readFileSync(path.join(dir, n)).equals(y))) return 'uplift-race'
  }
  // The producer's checkout in the bytes of a hit from there (OUT_DIR code's file names in an
  // rlib's metadata, a proc-macro's debuginfo): a known limit (docs/RELIABILITY.md).
  if (elsewhere.some((e) => y.includes(e) && !x.includes(e))) return 'producer-path'
  if (x.length === y.length && /\.(rlib|rmeta|so)$/.test(base)) return 'crate-hash'
  const strip = (f, out) => run('objcopy', ['--strip-debug', '--remove-section=.note.gnu.build-id', f, out]).ok
  const tmp = fs.mkdtempSync(path.join(scDir, '.cmp-'))
  try {
    const a = path.join(tmp, 'a')
    const b = path.join(tmp, 'b')
    if (strip(plainFile, a) && strip(scFile, b) && fs.readFileSync(a).equals(fs.readFileSync(b))) return 'debug-only'
    return 'differs'
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** Runs the project's tests (and bins) after the warm build, plain and through splitcache. */
function runChecks(cwd, args, env, scEnvironment, rows, name, log) {
  if (!args.includes('--all-targets')) return
  const test = (e) => run('cargo', ['test', '--offline', '-j', '2', '--no-fail-fast', '-q'], { cwd, env: e, timeout: 600_000 })
  const summary = (r) => (r.stdout + r.stderr).split('\n').filter((l) => /^test result:|--- FAILED$/.test(l)).map((l) => l.replace(/; finished in .*$/, '')).sort().join(' | ')
  const t = test(scEnvironment)
  const row = { project: name, scenario: 'tests', ok: t.ok, note: 'cargo test passes through splitcache' }
  if (!t.ok) {
    // A crate's own tests may fail plainly too (doctests of a build-only crate): ask plain cargo, in a target dir of its own.
    const p = test({ ...env, CARGO_TARGET_DIR: path.join(cwd, '..', 'test-target.plain') })
    row.ok = p.ok === t.ok && summary(p) === summary(t)
    row.note = row.ok ? `cargo test fails alike plainly: ${summary(t)}` : `cargo test: splitcache ${summary(t)}; plain ${summary(p)}`
  }
  rows.push(row)
  log(`  tests: ${row.note}`)
}

const lastLines = (s) => s.trim().split('\n').filter((l) => !/^\s*(Compiling|Checking|Finished|Running|Fresh)/.test(l)).slice(-3).join(' | ')

function main() {
  const o = parseArgs(process.argv.slice(2))
  fs.mkdirSync(o.scratch, { recursive: true })
  const logFile = path.join(o.scratch, 'hunt.log')
  const log = (line) => {
    process.stdout.write(`${line}\n`)
    fs.appendFileSync(logFile, `${line}\n`)
  }
  const all = registryCrates(o.registry)
  const pick = [...all.values()].filter((c) => !o.only || o.only.has(c.name))
  const rows = []
  if (o.projects.includes('wide')) {
    log(`wide: resolving ${pick.length} crates`)
    const probe = path.join(o.scratch, 'resolve', 'ws')
    const { crates, features } = resolveWide(probe, pick, o.registry, log)
    log(`wide: ${crates.length} crates resolve together`)
    fs.writeFileSync(path.join(o.scratch, 'wide-crates.json'), JSON.stringify(crates.map((c) => ({ name: c.name, version: c.version, features: features.get(c.name) })), null, 1))
    rows.push(...runProject(o, 'wide', (dir) => writeWide(dir, crates, features, o.registry), ['build', '--all-targets'], log))
  }
  if (o.projects.includes('units')) {
    const units = pick.filter((c) => fs.existsSync(path.join(c.dir, 'build.rs')) || /^build\s*=/m.test(c.manifest) || isProcMacro(c))
    for (const c of units) {
      const probe = path.join(o.scratch, 'resolve', c.name)
      writeUnit(probe, c, o.registry)
      let args = ['build', '--all-targets']
      let strip = false
      if (!run('cargo', ['generate-lockfile', '--offline'], { cwd: probe, env: baseEnv(path.join(o.scratch, 'cargo-home')) }).ok) {
        strip = true
        args = ['build']
      }
      const make = (dir) => {
        writeUnit(dir, c, o.registry)
        if (strip) stripDevDeps(path.join(dir, 'Cargo.toml'))
      }
      if (strip) {
        stripDevDeps(path.join(probe, 'Cargo.toml'))
        if (!run('cargo', ['generate-lockfile', '--offline'], { cwd: probe, env: baseEnv(path.join(o.scratch, 'cargo-home')) }).ok) {
          log(`${c.name}: does not resolve offline, skipped`)
          rows.push({ project: c.name, scenario: 'resolve', ok: true, note: 'does not resolve offline' })
          continue
        }
      }
      log(`${c.name}: ${args.join(' ')}${strip ? ' (dev-dependencies stripped: they do not resolve offline)' : ''}`)
      rows.push(...runProject(o, c.name, make, args, log))
    }
  }
  fs.writeFileSync(path.join(o.scratch, 'results.json'), JSON.stringify(rows, null, 1))
  log('\nproject | scenario | hits/calls | misses | files differing (by class) | note')
  for (const r of rows) log(`${r.project} | ${r.scenario} | ${r.hits ?? '-'}/${r.calls ?? '-'} | ${r.misses ?? '-'} | ${r.kinds ? JSON.stringify(r.kinds) : '-'} | ${r.ok ? '' : 'FAILED '}${r.note ?? ''}`)
  // Known classes of difference are not counted; a warm scenario's misses are (each with its explanation in results.json).
  const warmMiss = (r) => r.misses > 0 && !['cold-A', 'release-cold'].includes(r.scenario)
  const bad = rows.filter((r) => !r.ok || r.unexplained?.length || r.splitcacheLines || warmMiss(r))
  log(`\n${bad.length} rows need a look (a failed build, an unexplained difference, a warm miss or SPLITCACHE_ lines); details in ${path.join(o.scratch, 'results.json')}`)
  return bad.length ? 1 : 0
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main()
  } catch (err) {
    process.stderr.write(`registryHunt: ${err.stack}\n`)
    process.exitCode = 2
  }
}
export { auditOf, classify, compare, snapshot, registryCrates, resolveWide, writeUnit, writeWide }
