// One random step of the fuzzer: a change to the model (an edit, a revert, an env var, a flag,
// a profile, a command) or to the checkout itself (touch, clean, a copy to another directory).
// Each returns a line saying what it did, and `quiet: true` where nothing that matters changed,
// so that any miss the build then has is needless.

import fs from 'node:fs'
import path from 'node:path'
import { hasLib, isProcMacro } from './workspace.mjs'

// Two steps in five edit sources or data, the rest change how the build runs, so that a plain
// `npm run fuzz` (20 steps) draws each of env, profile, settings, cmd and rustflags once or more on
// average, and toolchain, move, configEnv, buildRs and feature 0.8 times. Edits had 29 of 51 before:
// an env or profile step came about once a run, a toolchain or configEnv step once in 2.5 runs.
export const WEIGHTS = {
  body: 4, sig: 2, ws: 2, warn: 2, helper: 1, revert: 4, data: 3, buildInput: 2, touch: 2,
  feature: 2, settings: 3, env: 5, rustflags: 3, profile: 4, cmd: 4, clean: 1, move: 2, toolchain: 2, buildRs: 2, configEnv: 2,
}

/** Snapshots of each member's editable fields, for reverts. */
export function remember(history, ws) {
  ws.members.forEach((m, i) => {
    const h = (history[i] ??= [])
    const snap = JSON.stringify({ src: m.src, data: m.data, blob: m.blob ?? null, buildInput: m.buildInput, buildV: m.buildV ?? 0 })
    if (!h.includes(snap)) h.push(snap)
  })
}

export function randomStep(r, ws, history, ctx, weights = WEIGHTS) {
  const kind = r.weighted(weights)
  const i = r.int(0, ws.members.length - 1)
  const m = ws.members[i]
  switch (kind) {
    case 'body': m.src.v = r.int(1, 999); return { what: `body ${m.name} v=${m.src.v}` }
    case 'sig': m.src.sig ^= 1; return { what: `signature ${m.name} sig=${m.src.sig}` }
    case 'ws': m.src.ws = r.int(0, 3); return { what: `whitespace ${m.name} ws=${m.src.ws}` }
    case 'warn': m.src.warn = r.int(0, 2); return { what: `warnings ${m.name} warn=${m.src.warn}` }
    case 'helper': m.src.helper = r.int(1, 9); return { what: `#[path] module ${m.name} helper=${m.src.helper}` }
    case 'revert': {
      const snaps = history[i] ?? []
      if (!snaps.length) return { what: 'revert: nothing to revert' }
      const k = r.int(0, snaps.length - 1)
      Object.assign(m, structuredClone(JSON.parse(snaps[k])))
      return { what: `revert ${m.name} to snapshot ${k}` }
    }
    case 'data': {
      // The text (include_str!), the bytes (include_bytes!) or both: a lookup that skipped one kind of
      // input was caught only where the other changed too (the blob's length is data % 7).
      const which = r.pick(['both', 'text', 'bytes'])
      if (which !== 'both') m.blob = m.blob ?? m.data
      if (which !== 'bytes') m.data = r.int(1, 99)
      if (which !== 'text') m.blob = which === 'both' ? undefined : r.int(1, 99)
      return { what: `data ${m.name} ${which} data=${m.data} blob=${m.blob ?? m.data}` }
    }
    case 'buildInput': m.buildInput = r.int(1, 99); return { what: `build input ${m.name} =${m.buildInput}${m.build ? '' : ' (unused)'}` }
    case 'touch': {
      const files = listFiles(ctx.dir).filter((f) => /\.(rs|txt|bin)$/.test(f))
      const f = r.pick(files)
      const t = new Date()
      fs.utimesSync(path.join(ctx.dir, f), t, t)
      return { what: `touch ${f}`, quiet: true }
    }
    case 'feature': {
      const libs = m.deps.filter((j) => hasLib(ws.members[j]) && !isProcMacro(ws.members[j]))
      if (!libs.length) return { what: `feature: ${m.name} has no lib dep` }
      const j = r.pick(libs)
      m.depExtra[j] = !m.depExtra[j]
      return { what: `feature ${m.name} -> m${j}/extra=${m.depExtra[j]}` }
    }
    case 'settings': {
      const choices = {
        devOpt: [0, 1], devDebug: [0, 1, 2], fuzzDebug: [0, 1, 2], devSplit: ['off', 'unpacked', 'packed'],
        devAssert: [true, false], fuzzLto: ['false', 'thin', 'fat'], fuzzCgu: [1, 16], panic: ['unwind', 'abort'],
      }
      const k = r.pick(Object.keys(choices))
      ws.settings[k] = r.pick(choices[k])
      return { what: `profile setting ${k}=${ws.settings[k]}` }
    }
    case 'env': {
      const k = r.pick(['SC_FUZZ_OPT', 'SC_FUZZ_BUILD', 'SC_FUZZ_REQ'])
      const v = r.pick(k === 'SC_FUZZ_REQ' ? ['req1', 'req2', 'req1', undefined] : ['o1', 'o2', undefined])
      if (v === undefined) delete ws.env[k]; else ws.env[k] = v
      return { what: `env ${k}=${v ?? '(unset)'}` }
    }
    case 'rustflags': ws.rustflags = r.pick(['', '', '--cfg fuzz_flag', '-C debuginfo=1', '-C opt-level=1', '-W missing-docs', '--remap-path-prefix=/tmp=/T', '-C codegen-units=1', '-C target-cpu=native', '-C strip=symbols']); return { what: `RUSTFLAGS="${ws.rustflags}"` }
    case 'profile': ws.profile = r.pick(['dev', 'release', 'fuzz']); return { what: `profile ${ws.profile}` }
    case 'cmd': {
      ws.cmd = r.pick(['build', 'build', 'build-all', 'check', 'test', 'build-p', 'clippy', 'doc'])
      if (ws.cmd === 'build-p') ws.pkg = r.int(0, ws.members.length - 1)
      return { what: `command ${ws.cmd}${ws.cmd === 'build-p' ? ` -p ${ws.members[ws.pkg].name}` : ''}` }
    }
    case 'clean': ctx.clean = r.pick(['cargo clean', 'rm -rf target']); return { what: ctx.clean }
    case 'move': {
      // `link`: cargo is then given the copy through a symlink (--manifest-path), as a checkout under a linked home.
      ctx.move = { keepTarget: r.chance(0.5), link: r.chance(0.3), under: Array.from({ length: r.int(0, 2) }, () => 'd'.repeat(r.int(1, 9))) }
      return { what: `copy the checkout to a new directory${ctx.move.keepTarget ? ' with its target dirs' : ' without target dirs'}${ctx.move.link ? ', reached through a symlink' : ''}` }
    }
    case 'buildRs': m.buildV = r.int(0, 3); return { what: `build script ${m.name} v=${m.buildV}${m.build ? '' : ' (none)'}` }
    case 'configEnv': ws.configEnv = r.int(0, 3); return { what: `.cargo/config.toml [env] variant ${ws.configEnv}` }
    case 'toolchain': ws.toolchain = ws.toolchain === 'stable' ? 'nightly' : 'stable'; return { what: `toolchain ${ws.toolchain}` }
  }
  throw new Error(kind)
}

export function listFiles(dir, rel = '') {
  const out = []
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (e.name === 'target' || e.name.startsWith('.')) continue
    const p = path.join(rel, e.name)
    if (e.isDirectory()) out.push(...listFiles(dir, p)); else out.push(p)
  }
  return out
}
