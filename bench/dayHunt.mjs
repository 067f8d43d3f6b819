// A developer's day in one checkout, hunting wrong and stale hits with an oracle. Two git repos (the
// fixture workspace with four branches, the tokio workspace of Debian's crates with three), one
// checkout each, built through splitcache after every step of a seeded random walk: checkouts,
// stash/pop, edits kept or reverted (content back, new mtime), touch, stable/nightly in one target
// dir, RUSTFLAGS, env!/option_env!/build-script env values, CARGO_INCREMENTAL at cargo's default,
// features and -p, and check/build/--release/test --no-run/clippy/doc. Each build is compared with a
// plain build (no wrapper, CARGO_INCREMENTAL=0) of the same tree in a second clone (same path
// length), memoised by tree hash and command: exit code, diagnostics, every executable's bytes and
// what it prints. A step whose tree, command and settings were built before must not miss.
//
//   node bench/dayHunt.mjs [--steps 300] [--minutes 60] [--seed N] [--scratch DIR] [--tokio 0.2]
//
// Steps go to <scratch>/steps.jsonl, mismatches (with the binaries) to <scratch>/evidence.
// Not part of npm test.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { prng } from './fuzz/prng.mjs'
import { git, makeFixtureRepo, makeTokioRepo } from './dayHunt/repos.mjs'
import { cargo, comparable, normDiag, runExe, syncTree, treeHash } from './dayHunt/oracle.mjs'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(repoRoot, 'bin', 'splitcache')
const option = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt }
const seed = Number(option('seed', '1'))
const steps = Number(option('steps', '300'))
const deadline = Date.now() + Number(option('minutes', '600')) * 60_000
const tokioShare = Number(option('tokio', '0.2'))
const scratch = path.resolve(option('scratch', '/tmp/splitcache-dayhunt'))
const r = prng(seed)

fs.rmSync(scratch, { recursive: true, force: true })
fs.mkdirSync(path.join(scratch, 'tmp'), { recursive: true })
const store = path.join(scratch, 'store')
const say = (s) => { process.stdout.write(`${s}\n`); fs.appendFileSync(path.join(scratch, 'log.txt'), `${s}\n`) }

// Work and oracle clones at paths of one length, so the oracle's binaries compare once its path is written over.
const repos = [makeFixtureRepo(repoRoot, path.join(scratch, 'fx-work')), makeTokioRepo(path.join(scratch, 'tok-work'))]
for (const repo of repos) {
  repo.orac = repo.dir.replace(/-work$/, '-orac')
  git(scratch, 'clone', '-q', repo.dir, repo.orac)
  Object.assign(repo, { branch: 'main', toolchain: 'stable', rustflags: '', env: { DAY_REQ: 'r1' }, incremental: false, features: 0, wip: 0 })
}

// Settings change seldom and between few values, edits take one of few values, so that states come
// back (checkouts, reverts, stash/pop, touch) and hit: a first run with each setting drawn as often
// as a checkout hit 11 of 234 calls, too few to catch a wrong hit.
const WEIGHTS = { checkout: 6, stash: 2, pop: 2, edit: 3, revert: 4, touch: 3, toolchain: 1.5, rustflags: 0.7, env: 1.5, incremental: 0.7, features: 1 }
const CMDS = { check: 3, build: 4, release: 2, test: 3, clippy: 1.5, doc: 1 }
const CMD_ARGS = { check: ['check'], build: ['build'], release: ['build', '--release'], test: ['test', '--no-run'], clippy: ['clippy', '--all-targets'], doc: ['doc', '--no-deps'] }
const WIP = /(\/\/ )?wip-begin[\s\S]*?wip-end\n/
const dirty = (repo) => git(repo.dir, 'status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).map((l) => l.slice(3))

function mutate(repo) {
  const kind = r.weighted(WEIGHTS)
  const d = repo.dir
  switch (kind) {
    case 'checkout': {
      const to = r.pick(repo.branches.filter((b) => b !== repo.branch))
      let how = ''
      if (dirty(repo).length) {
        if (r.chance(0.5)) { git(d, 'stash', '-q'); how = ' (stashed first)' } else { git(d, 'checkout', '-qf', 'HEAD', '--', '.'); how = ' (changes dropped)' }
      }
      git(d, 'checkout', '-q', to)
      repo.branch = to
      return `checkout ${to}${how}`
    }
    case 'stash': {
      if (!dirty(repo).length) return 'stash: nothing to stash'
      git(d, 'stash', '-q')
      return 'stash'
    }
    case 'pop': {
      if (!git(d, 'stash', 'list').trim()) return 'pop: no stash'
      if (dirty(repo).length) git(d, 'checkout', '-qf', 'HEAD', '--', '.')
      try { git(d, 'stash', 'pop', '-q'); return 'stash pop' } catch {
        git(d, 'reset', '-q', '--hard')
        git(d, 'stash', 'drop', '-q')
        return 'stash pop conflicted: reset and dropped'
      }
    }
    case 'edit': {
      const e = r.pick(repo.edits)
      const p = path.join(d, e.file)
      const text = fs.readFileSync(p, 'utf8')
      // One block of work in progress a file, of three: a second edit replaces the first.
      const n = r.int(1, 3)
      if (e.append) { fs.writeFileSync(p, `${text.replace(WIP, '')}${e.append(n)}`); return `edit ${e.file} (wip ${n})` }
      if (!e.from.test(text)) return `edit ${e.file}: no match on ${repo.branch}`
      const v = r.int(2, 4)
      fs.writeFileSync(p, text.replace(e.from, e.to(v)))
      return `edit ${e.file} (=${v})`
    }
    case 'revert': {
      const files = dirty(repo)
      if (!files.length) return 'revert: nothing changed'
      const f = r.pick(files)
      fs.writeFileSync(path.join(d, f), git(d, 'show', `HEAD:${f}`))
      return `revert ${f} to HEAD's text`
    }
    case 'touch': {
      const f = r.pick(repo.touchable)
      const t = new Date()
      fs.utimesSync(path.join(d, f), t, t)
      return `touch ${f}`
    }
    // Debian's proc-macro2 1.0.47 fails on the nightly (E0635, proc_macro_span_shrink): tokio stays on stable.
    case 'toolchain': if (repo.name === 'tok') return 'toolchain: tokio stays stable'
      repo.toolchain = repo.toolchain === 'stable' ? 'nightly' : 'stable'; return `toolchain ${repo.toolchain}`
    case 'rustflags': {
      const all = repo.name === 'tok' ? ['', '--cfg day_flag'] : ['', '', '', '--cfg day_flag', '-C opt-level=1', '-C codegen-units=1']
      repo.rustflags = r.pick(all)
      return `RUSTFLAGS="${repo.rustflags}"`
    }
    case 'env': {
      const k = r.pick(['DAY_OPT', 'DAY_OPT2', 'DAY_BUILD', 'DAY_REQ'])
      const v = r.pick(k === 'DAY_REQ' ? ['r1', 'r2'] : [undefined, undefined, `${k.toLowerCase()}1`, `${k.toLowerCase()}22`])
      if (v === undefined) delete repo.env[k]; else repo.env[k] = v
      return `${k}=${v ?? '(unset)'}`
    }
    case 'incremental': repo.incremental = r.chance(0.35); return `CARGO_INCREMENTAL ${repo.incremental ? "left at cargo's default" : '=0'}`
    case 'features': repo.features = r.int(0, repo.featureSets.length - 1); return `features ${repo.featureSets[repo.features].join(' ') || '(default)'}`
  }
  throw new Error(kind)
}

function envOf(repo, extra) {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (/^(DAY_|RUSTC_WRAPPER|RUSTFLAGS|CARGO_INCREMENTAL|CARGO_TARGET_DIR|CARGO_BUILD_|RUSTUP_TOOLCHAIN|SPLITCACHE_)/.test(k)) delete env[k]
  Object.assign(env, repo.env, { CARGO_TERM_COLOR: 'never' }, extra)
  if (repo.rustflags) env.RUSTFLAGS = repo.rustflags
  return env
}
const scEnv = { SPLITCACHE_DIR: store, SPLITCACHE_MAX_SIZE: '50G', SPLITCACHE_LOG: 'debug' }
const stats = () => {
  const s = JSON.parse(spawnSync(bin, ['stats', '--json'], { env: { ...process.env, ...scEnv }, encoding: 'utf8' }).stdout)
  return s.stats ?? s
}
const logPath = path.join(store, 'daemon.log')
const logSize = () => { try { return fs.statSync(logPath).size } catch { return 0 } }
const newLog = (from) => { try { return fs.readFileSync(logPath, 'utf8').slice(from) } catch { return '' } }

const memo = new Map() // tree hash + command → the oracle's build
const seen = new Map() // the same + CARGO_INCREMENTAL → exit code through splitcache
const counts = { steps: 0, builds: 0, oracleBuilds: 0, compared: 0, executables: 0, runs: 0, mismatches: 0, revisits: 0, revisitsAllHit: 0, revisitHits: 0, needlessMisses: 0, fresh: 0 }

function oracle(repo, key, args, tree) {
  if (memo.has(key)) return memo.get(key)
  syncTree(repo.dir, repo.orac)
  if (treeHash(repo.orac) !== tree) throw new Error('oracle clone did not take the tree')
  const env = envOf(repo, { CARGO_INCREMENTAL: '0' })
  const b = cargo(repo.orac, args, env)
  counts.oracleBuilds++
  const o = { code: b.code, diags: b.diags.map((x) => normDiag(x, repo.orac, repo.dir)), exes: {}, runs: {}, stderr: b.stderr.slice(-3000) }
  for (const [k, exe] of Object.entries(b.exes)) {
    o.exes[k] = comparable(exe, { from: repo.orac, to: repo.dir, keep: path.join(scratch, 'memo'), tmp: path.join(scratch, 'tmp') })
    o.runs[k] = runExe(exe, k, { cwd: repo.orac, env, from: repo.orac, to: repo.dir })
  }
  memo.set(key, o)
  return o
}

for (let step = 1; step <= steps && Date.now() < deadline; step++) {
  const repo = r.chance(tokioShare) ? repos[1] : repos[0]
  const did = []
  for (let i = 0, n = r.int(1, 2); i < n; i++) did.push(mutate(repo))
  const cmd = r.weighted(CMDS)
  const args = [`+${repo.toolchain}`, ...CMD_ARGS[cmd], ...repo.featureSets[repo.features], '-j', '2', '--offline', '--message-format=json']
  const tree = treeHash(repo.dir)
  const cmdSig = JSON.stringify([repo.name, tree, args, repo.rustflags, repo.env])
  const sig = `${cmdSig}|${repo.incremental}`
  const env = envOf(repo, { RUSTC_WRAPPER: bin, ...scEnv, ...(repo.incremental ? {} : { CARGO_INCREMENTAL: '0' }) })
  const before = stats()
  const from = logSize()
  const sc = cargo(repo.dir, args, env)
  const after = stats()
  counts.builds++
  counts.steps++
  const hits = after.hits - before.hits
  const misses = after.misses - before.misses
  const o = oracle(repo, cmdSig, args, tree)
  const found = []
  if (sc.code !== o.code) found.push(`exit ${sc.code} through splitcache, ${o.code} plain${sc.code ? `: ${sc.stderr.split('\n').filter((l) => /error|SPLITCACHE/.test(l)).slice(0, 6).join(' | ')}` : ''}`)
  // The notice that a build's own crates compile incrementally, uncached, is said by design.
  for (const l of sc.stderr.split('\n').filter((x) => /SPLITCACHE_|splitcache:/.test(x) && !/compiles this build's own crates incrementally/.test(x))) found.push(`splitcache said: ${l.slice(0, 300)}`)
  const a = new Set(sc.diags)
  const b = new Set(o.diags)
  for (const x of a) if (!b.has(x)) found.push(`diagnostic only through splitcache: ${x.slice(0, 400)}`)
  for (const x of b) if (!a.has(x)) found.push(`diagnostic only plain: ${x.slice(0, 400)}`)
  if (sc.code === 0 && o.code === 0) {
    counts.compared++
    for (const [k, exe] of Object.entries(sc.exes)) {
      if (!(k in o.exes)) { found.push(`executable only through splitcache: ${k}`); continue }
      // Incremental codegen splits a member's code otherwise: its bytes are not a plain build's, its output is.
      if (!repo.incremental || cmd === 'release') {
        counts.executables++
        const keep = path.join(scratch, 'evidence', `step-${step}`)
        const d = comparable(exe, { tmp: path.join(scratch, 'tmp'), keep })
        if (d !== o.exes[k]) found.push(`${k} differs: ${d} vs plain ${o.exes[k]} (kept in ${keep}, plain's in memo/${o.exes[k]})`)
        else fs.rmSync(keep, { recursive: true, force: true })
      }
      // A proc-macro's test harness links libstd dynamically and runs nowhere outside cargo.
      if (k.includes(':proc-macro:')) continue
      counts.runs++
      const out = runExe(exe, k, { cwd: repo.dir, env: envOf(repo, {}) })
      if (out !== o.runs[k]) found.push(`${k} prints otherwise:\n    splitcache: ${out.slice(0, 600)}\n    plain:      ${o.runs[k].slice(0, 600)}`)
    }
    for (const k of Object.keys(o.exes)) if (!(k in sc.exes)) found.push(`executable only plain: ${k}`)
  }
  const revisit = seen.get(sig) === 0
  let expect = ''
  if (revisit) {
    counts.revisits++
    counts.revisitHits += hits
    if (hits + misses === 0) { counts.fresh++; expect = ' (revisit: cargo fresh)' } else if (misses === 0) { counts.revisitsAllHit++; expect = ' (revisit: all hit)' } else {
      counts.needlessMisses += misses
      expect = ` (revisit: ${misses} NEEDLESS MISSES)`
      const lines = newLog(from).split('\n').filter((l) => / miss /.test(l))
      found.push(`needless misses: ${lines.join(' | ').slice(0, 1500)}`)
    }
  }
  if (!seen.has(sig) || seen.get(sig) !== 0) seen.set(sig, sc.code)
  counts.mismatches += found.length
  const line = `step ${step} ${repo.name}@${repo.branch ?? 'main'} ${did.join('; ')} → ${args.join(' ')} [${repo.rustflags ? `RUSTFLAGS="${repo.rustflags}" ` : ''}${JSON.stringify(repo.env)}${repo.incremental ? ' incr' : ''}] exit ${sc.code}/${o.code} hits ${hits} misses ${misses} ${(sc.ms / 1000).toFixed(1)}s${expect}${found.length ? ` MISMATCHES ${found.length}` : ''}`
  say(line)
  for (const f of found) say(`  ! ${f}`)
  fs.appendFileSync(path.join(scratch, 'steps.jsonl'), `${JSON.stringify({ step, repo: repo.name, branch: repo.branch, did, args, env: repo.env, rustflags: repo.rustflags, incremental: repo.incremental, tree, code: sc.code, plain: o.code, hits, misses, found })}\n`)
}
spawnSync(bin, ['server', 'stop'], { env: { ...process.env, ...scEnv }, stdio: 'ignore' })
say(`seed ${seed}: ${JSON.stringify(counts)}`)
fs.writeFileSync(path.join(scratch, 'counts.json'), JSON.stringify(counts, null, 2))
process.exitCode = counts.mismatches ? 1 : 0
