// The scenarios, run in this order for each tool within one run. Each setup is untimed and
// returns where the timed build runs. Flags:
//   freshCache  the tool's cache directory is emptied first
//   restart     the tool's server is stopped first, so the build pays for starting it (a new
//               CI job); edits keep the server of the build before (a developer's loop)
//   reuse       builds on the target dir the scenario before left
//   cargo       the cargo subcommand, when not `build`

import fs from 'node:fs'
import path from 'node:path'
import { cargoConfig } from '../test/fixtures/registry/make-workspace.mjs'

const COLD = {
  id: 'cold',
  title: 'Cold',
  what: 'empty cache, clean target dir',
  freshCache: true,
  restart: true,
  setup(ctx) {
    freshCopy(ctx.pristine, ctx.dirA)
    return { cwd: ctx.dirA, cargoHome: ctx.homeA }
  },
  shell: 'rm -rf target <cache dir>; <stop server>',
}

const WARM_CLEAN = {
  id: 'warm-clean',
  title: 'Warm, clean target',
  what: 'cache filled by the cold build, target dir removed (CI with a shared cache)',
  restart: true,
  setup(ctx) {
    fs.rmSync(path.join(ctx.dirA, 'target'), { recursive: true, force: true })
    return { cwd: ctx.dirA, cargoHome: ctx.homeA }
  },
  shell: 'rm -rf target; <stop server>',
}

/** A scenario's setup, with `cargo clippy` as the timed command (grep only: workloads.mjs). */
function underClippy(base, id, title, what) {
  return { ...base, id, title, what, cargo: 'clippy', shell: `${base.shell}; cargo clippy …` }
}

export const SCENARIOS = [
  COLD,
  WARM_CLEAN,
  {
    id: 'warm-other-dir',
    title: 'Warm, other directory',
    what: 'the same cache; a fresh copy of the project at another path, another CARGO_HOME (and a copy of the registry at another path)',
    restart: true,
    setup(ctx) {
      freshCopy(ctx.pristine, ctx.dirB)
      if (ctx.otherRegistry) fs.writeFileSync(path.join(ctx.dirB, '.cargo', 'config.toml'), cargoConfig(ctx.otherRegistry))
      return { cwd: ctx.dirB, cargoHome: ctx.homeB }
    },
    shell: 'cp -r <project> <other path>; <stop server>; cd <other path>; CARGO_HOME=<other home>',
  },
  {
    id: 'edit-leaf',
    title: 'Edit a leaf crate',
    what: 'one new function appended to the bottom lib of the workspace; its dependants rebuild',
    reuse: true,
    setup(ctx) {
      appendEdit(path.join(ctx.dirA, ctx.edits.leaf), ctx.token)
      return { cwd: ctx.dirA, cargoHome: ctx.homeA }
    },
    shell: 'echo "pub fn bench_edit_N() -> u64 { N }" >> <leaf src>',
  },
  {
    id: 'edit-root',
    title: 'Edit the root crate',
    what: 'one new function appended to the top bin; only it rebuilds',
    reuse: true,
    setup(ctx) {
      appendEdit(path.join(ctx.dirA, ctx.edits.root), ctx.token)
      return { cwd: ctx.dirA, cargoHome: ctx.homeA }
    },
    shell: 'echo "fn bench_edit_N() -> u64 { N }" >> <root src>',
  },
  underClippy(COLD, 'clippy-cold', 'cargo clippy, cold', '`cargo clippy` with an empty cache and a fresh copy of the project (workspace members run through clippy-driver)'),
  underClippy(WARM_CLEAN, 'clippy-warm', 'cargo clippy, warm', '`cargo clippy` again, cache filled by clippy-cold, target dir removed (a CI lint job with a shared cache)'),
]

function freshCopy(from, to) {
  fs.rmSync(to, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.cpSync(from, to, { recursive: true })
}

// A new item with a name unique to this run, so no cache can have seen this source before.
function appendEdit(file, token) {
  fs.appendFileSync(file, `\n/// Added by the benchmark.\n#[allow(dead_code)]\npub fn bench_edit_${token}() -> u64 {\n    ${token.length}\n}\n`)
}
