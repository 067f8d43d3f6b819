/**
 * The thin wrapper client: `splitcache <rustc> <args…>`. Its start-up is the
 * hot path (one process per rustc call), so it is bundled into one file and
 * imports only node builtins, msgpackr and the protocol framing. Everything
 * else (hashing, LevelDB, path rewriting) lives in the daemon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, unlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { isInfoCall, parseInvocation, splitPlan } from '@splitcache/rustc';
import { storeDir, PROTOCOL_VERSION, type CompilePlan, type DoneReply, type LinkStep } from '@splitcache/daemon/protocol';
import { connectOrStart, type DaemonConnection } from './daemonConnection.js';
import { jobserverFds, stdioWith } from './jobserver.js';

const SUBCOMMANDS = new Set(['stats', 'server', 'cargo', 'audit', 'explain', 'gc', 'verify', 'serve', 'report', 'help', '--help', '-h', '--version']);
const started = performance.now();
let workMs = 0;

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || SUBCOMMANDS.has(argv[0]!)) {
    const cli = (await import(join(__dirname, 'src', 'cli.js'))) as { runCli(argv: string[]): Promise<number> };
    return cli.runCli(argv);
  }
  return wrap(argv);
}

async function wrap(argv: string[]): Promise<number> {
  const [rustc, ...args] = argv as [string, ...string[]];
  const fds = jobserverFds(process.env);
  // Another wrapper in front of rustc (clippy-driver, …) or an info call: straight through.
  if (!basename(rustc).startsWith('rustc') || isInfoCall(args)) return run(rustc, args, fds, false).code;

  const dir = storeDir(process.env);
  const conn = await connectOrStart(dir, join(__dirname, '..', '..', 'daemon', 'dist', 'src', 'main.js')).catch(() => undefined);
  if (!conn) {
    warn('SPLITCACHE_DAEMON_UNREACHABLE: no daemon answered (building uncached)');
    return run(rustc, args, fds, false).code;
  }
  let plan: CompilePlan;
  try {
    plan = await conn.request<CompilePlan>({ op: 'compile', v: PROTOCOL_VERSION, argv, cwd: process.cwd(), env: process.env });
    if (!plan || typeof plan !== 'object' || !('action' in plan)) throw new Error(`bad reply ${JSON.stringify(plan)}`);
  } catch (err) {
    conn.close();
    warn(`SPLITCACHE_DAEMON_PROTOCOL: ${(err as Error).message} (building uncached)`);
    return run(rustc, args, fds, false).code;
  }

  if (plan.action === 'passthrough') {
    conn.close();
    if (plan.warning) warn(plan.warning);
    return run(rustc, args, fds, false).code;
  }
  if (plan.action === 'hit') {
    conn.close();
    process.stdout.write(plan.stdout);
    process.stderr.write(plan.stderr);
    return plan.link ? link(rustc, plan.link, fds) : plan.code;
  }
  // A miss: run what the daemon planned, relay and capture its output, report it.
  const t0 = performance.now();
  const r = run(rustc, plan.args, fds, plan.bootstrap, true);
  const { code, stdout, stderr } = await r.done;
  const ms = performance.now() - t0;
  let reply: DoneReply = {};
  try {
    reply = await conn.request<DoneReply>({ op: 'done', token: plan.token, code, stdout, stderr, ms: Math.round(ms) });
  } catch {
    // The daemon went away mid-build: nothing was stored, but the objects are still here.
    if (plan.bootstrap && code === 0) reply = { link: fallbackLink(args) };
  }
  conn.close();
  if (code !== 0) return code;
  return reply.link ? link(rustc, reply.link, fds) : code;
}

/** Runs rustc; with `capture`, relays its stdout/stderr as they come and keeps a copy. */
function run(rustc: string, args: string[], fds: number[], bootstrap: boolean, capture = false) {
  const env = bootstrap ? { ...process.env, RUSTC_BOOTSTRAP: '1' } : process.env;
  const t0 = performance.now();
  const child: ChildProcess = spawn(rustc, args, { stdio: stdioWith(fds, capture ? 'pipe' : 'inherit'), env });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    out.push(d);
    process.stdout.write(d);
  });
  child.stderr?.on('data', (d: Buffer) => {
    err.push(d);
    process.stderr.write(d);
  });
  const done = new Promise<{ code: number; stdout: Buffer; stderr: Buffer }>((res) => {
    child.on('error', (e) => {
      process.stderr.write(`splitcache: cannot run ${rustc}: ${e.message}\n`);
      res({ code: 127, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    child.on('close', (c, signal) => {
      workMs += performance.now() - t0;
      res({ code: c ?? (signal ? 128 + signalNumber(signal) : 1), stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
  return { code: done.then((d) => d.code), done };
}

/** Runs `rustc -Zlink-only` on the (private) objects, then removes the .rlink as a plain build leaves none. */
async function link(rustc: string, step: LinkStep, fds: number[]): Promise<number> {
  const code = await run(rustc, step.args, fds, true).code;
  try {
    unlinkSync(step.rlinkPath);
  } catch {
    /* already gone */
  }
  return code;
}

/** The link step when the daemon died between -Zno-link and its reply. */
function fallbackLink(args: string[]): LinkStep {
  const sp = splitPlan(parseInvocation(args));
  return { args: sp.linkOnlyArgs, rlinkPath: resolve(sp.rlinkPath) };
}

function signalNumber(signal: NodeJS.Signals): number {
  const n: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return n[signal] ?? 1;
}

function warn(line: string): void {
  if (process.env.SPLITCACHE_LOG === 'quiet') return;
  process.stderr.write(line.startsWith('splitcache:') ? `${line}\n` : `splitcache: ${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    const log = process.env.SPLITCACHE_TIMING_LOG;
    if (log) {
      try {
        appendFileSync(log, JSON.stringify({ wallMs: performance.now(), workMs, startMs: started }) + '\n');
      } catch {
        /* timing is best effort */
      }
    }
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`splitcache: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
