import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { CacheServer, type CacheServerOptions } from '../src/index.js';

// What the server tests share: temp dirs (removed when the file's tests end), a server on
// loopback, and a small tmpfs to fill.

const made: string[] = [];
t.teardown(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh temp dir, removed once the test file ends. */
export function tmp(prefix = 'sc-serve-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Puts `s` on a free loopback port; at the test's end its open connections are destroyed and it is closed. Its port. */
export async function listenLoopback(t: Test, s: Server): Promise<number> {
  const open = new Set<Socket>();
  s.on('connection', (c) => {
    open.add(c);
    c.on('close', () => open.delete(c));
  });
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => {
    for (const c of open) c.destroy();
    return new Promise<void>((res) => s.close(() => res()));
  });
  return (s.address() as { port: number }).port;
}

/** A server on a free loopback port, in a fresh dir unless `o.dir` names one; closed at the test's end. */
export async function serve(t: Test, o: Partial<CacheServerOptions> = {}): Promise<CacheServer> {
  const s = await CacheServer.start({ dir: tmp(), host: '127.0.0.1', port: 0, ...o });
  t.teardown(() => s.close(1000));
  return s;
}

/** A tmpfs of `size` mounted on a fresh dir (unmounted at the test's end), or undefined with a comment where it can't be (needs root). */
export function smallTmpfs(t: Test, size: string): string | undefined {
  const dir = tmp();
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status !== 0) {
    t.comment('skipped: cannot mount a small tmpfs here (needs root)');
    return undefined;
  }
  t.teardown(() => void spawnSync('umount', ['-l', dir]));
  return dir;
}

/** Runs a shell command; its stdout, trimmed; throws with its stderr where it fails. */
export function sh(command: string): string {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Whether an ext4 on a loop device can be made here (root, mkfs.ext4, a free loop device), and each of `tools` is on PATH. */
export function canLoopMount(...tools: string[]): boolean {
  const need = ['mkfs.ext4', ...tools].map((x) => `command -v ${x}`).join(' && ');
  return process.getuid?.() === 0 && spawnSync('sh', ['-c', `${need} && losetup -f`]).status === 0;
}

/** The ext4 image `image` mounted on `mnt` through a loop device, unmounted and freed at the test's end: the device. */
export function mountImage(t: Test, image: string, mnt: string): string {
  const dev = sh(`losetup -f --show '${image}'`);
  t.teardown(() => void spawnSync('sh', ['-c', `umount '${mnt}' 2>/dev/null; losetup -d '${dev}'`]));
  sh(`mount '${dev}' '${mnt}'`);
  return dev;
}

/** A fresh 64 MiB ext4 image at `image`, mounted on `mnt` (mountImage): the device. */
export function mountFreshExt4(t: Test, image: string, mnt: string): string {
  sh(`truncate -s 64M '${image}' && mkfs.ext4 -q -F '${image}'`);
  return mountImage(t, image, mnt);
}
