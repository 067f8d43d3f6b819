'use strict';
/**
 * dist/bundle/main.cjs: starts the daemon bundle (daemon.cjs) through V8's
 * code cache. Compiling the bundle (then ~390 KB) took ~12 ms of every daemon start
 * here, and well under 1 ms from a cache; the daemon starts on the critical
 * path of a build's first crates.
 *
 * The cache sits next to the bundle, named by the bundle's size and mtime (a
 * rebuild makes a new one) and node's version; V8 itself refuses data from
 * another V8 or other flags. It is written once the daemon has run a few
 * seconds, so it holds the functions the first requests compiled too. Every
 * failure here (a cache that is unreadable, refused or can't be written)
 * only costs the compile time.
 */
// The daemon loads builtins through process.getBuiltinModule (Node.js 20.16, 22.3). Started by
// an older node (bin/splitcache's `-vV` probe uses the node on PATH), it says so in daemon.log
// and ends; each call then builds uncached, as the client on that node says (client.ts).
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write(`SPLITCACHE_NODE_TOO_OLD: ${process.execPath} is Node.js ${process.version}; the daemon needs 20.16 or later (22.3 or later on 22)\n`);
  process.exit(78);
}

// node's thread pool carries the daemon's file and LevelDB work, 4 threads unless told. On a
// store whose file system hangs, the writes blocked there can hold 4 (the audit log's, the
// counts', the last hits', a miss's), and every call's own file work waited behind them: a
// build answered uncached hung for the whole freeze (cli/test/storeHung.test.ts). Set before
// the pool's first use, which reads it; a size the user set is kept.
process.env.UV_THREADPOOL_SIZE ||= '8';

const { closeSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Module } = require('node:module');
const vm = require('node:vm');

// Descriptors inherited from whoever started the daemon are closed first. A CI script's
// `cargo build 2> >(tee err.log)` leaves the substitution's pipe open (at fd 63) in every
// process of the build, and a daemon outlives the build: holding that pipe's write end, it
// kept the reader (tee, and the CI step waiting on it) from seeing end of file until the
// daemon's idle timeout ended it. Closed here: each descriptor above stderr that isn't
// close-on-exec (node and libuv open their own close-on-exec, so such a one came through
// exec), and each socket or lone pipe end. node marks inherited descriptors close-on-exec
// too when they sit in one run with its own from fd 3 up (3-31 all open: all marked), so
// the flag alone misses those; node's own pipes at this point come in pairs, both ends
// here (/proc/self/fd), and it has no socket yet. What the daemon holds is checked in
// cli/test/inheritedDescriptors.test.ts.
try {
  const fds = readdirSync('/proc/self/fd').map(Number).filter((fd) => fd > 2);
  const targets = new Map();
  for (const fd of fds) {
    try {
      targets.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      /* gone meanwhile (the directory listing's own descriptor) */
    }
  }
  const ends = new Map();
  for (const target of targets.values()) ends.set(target, (ends.get(target) ?? 0) + 1);
  for (const [fd, target] of targets) {
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
      const inheritable = flags !== null && (parseInt(flags[1], 8) & 0o2000000) === 0;
      const lonePipe = target.startsWith('pipe:') && ends.get(target) === 1;
      if (inheritable || lonePipe || target.startsWith('socket:')) closeSync(fd);
    } catch {
      /* gone meanwhile */
    }
  }
} catch {
  /* no /proc: nothing is closed */
}

// node's own report of an uncaught error quotes the line it was thrown from, and the bundle is a
// few lines of up to ~180 KB: each failed start (an install whose node_modules is gone) put one
// such line in daemon.log, where the start's one-line reason points (an error-message audit's
// find). The error and its stack, as node would give them, without the quote; the same exit code.
process.on('uncaughtException', (err) => {
  let text;
  try {
    // As node shows it (its code, its cause, a thrown object's fields), each line cut short.
    text = require('node:util').inspect(err);
  } catch {
    text = 'an uncaught error that could not be shown';
  }
  const lines = text.split('\n').slice(0, 40).map((l) => (l.length > 500 ? `${l.slice(0, 500)}…` : l));
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
});

const file = join(__dirname, 'daemon.cjs');
const st = statSync(file);
const cacheFile = join(__dirname, `daemon-${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}.cache`);
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  /* first start of this build */
}
// displayErrors off: a syntax error (a bundle cut short) would quote its ~180 KB line in its stack.
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData, displayErrors: false });
if (cachedData === undefined || script.cachedDataRejected) {
  setTimeout(() => {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      /* a read-only install or a full disk: the next start compiles again */
    }
  }, 3000).unref();
}
const mod = { exports: {} };
script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, __dirname);
