import { statfsSync, type BigIntStats } from 'node:fs';
import { SplitcacheError } from '@splitcache/errors';
import type { Digest, FileDigestMemo } from '@splitcache/hash';
import { FILE_VERSION } from './startStamp.js';

/**
 * What a remote input set may make this machine read, for one lookup.
 *
 * The files a lookup digests are the ones the record names, and a record is
 * written by whoever may write to the remote: without a signing key, any
 * client with a token. So each lookup's reads are bounded here, where the
 * files named by this machine's own dep-info are not:
 * - No file of a kernel's file system (procfs, sysfs, debugfs, cgroups…): they
 *   say they are regular files of size 0, and are read to their end, which for
 *   /proc/self/pagemap is 256 TiB. A hunting helper's record naming it held the
 *   daemon's loop until its callers stopped it as hung, and a 3 s build took
 *   187 s. Told by the file system's type (statfs, once per device), so no
 *   spelling or symlink gets around it.
 * - One read per file: the record's paths are digested by path, and 10,000
 *   spellings of one 153 MB file (`//usr//lib/…`) were read 10,000 times, about
 *   23 minutes of one call. Here a file already digested in this lookup (same
 *   device and inode, size and times) is not read again.
 * - At most MAX_BYTES of distinct files in all.
 * A record over any of these is a remote record fault (a miss, with its line).
 */
export class RemoteInputReads {
  private readonly byInode = new Map<string, Promise<Digest>>();
  private bytes = 0;
  private readonly kernelDevices = new Map<bigint, boolean>();

  constructor(private readonly files: FileDigestMemo, private readonly manifestKey: string) {}

  /** The digest of the regular file at `path`, whose stat (symlinks followed, bigint: bigStatOf) is `st`. */
  digest(path: string, st: BigIntStats): Promise<Digest> {
    if (this.ofKernel(path, st)) throw this.bad(`names ${JSON.stringify(path)}, a file of the kernel's, not of a build`);
    // Exact numbers: inodes above 2^53 (overlayfs's xino, NFS file ids) round to their neighbours' as doubles.
    const id = FILE_VERSION(st);
    const known = this.byInode.get(id);
    if (known) return known;
    this.bytes += Number(st.size);
    if (this.bytes > MAX_BYTES) throw this.bad(`names more than the ${MAX_BYTES / 2 ** 30} GiB of input files one lookup reads`);
    const digest = this.files.digest(path);
    this.byInode.set(id, digest);
    return digest;
  }

  /** Whether the file is on one of KERNEL_FS: asked once per device in a lookup (a device number is used again after an unmount). */
  private ofKernel(path: string, st: BigIntStats): boolean {
    let known = this.kernelDevices.get(st.dev);
    if (known === undefined) {
      try {
        known = KERNEL_FS.has(statfsSync(path).type);
      } catch {
        return false; // gone meanwhile: its digest fails, as any missing file's
      }
      this.kernelDevices.set(st.dev, known);
    }
    return known;
  }

  private bad(why: string): SplitcacheError {
    return new SplitcacheError('SPLITCACHE_REMOTE_RECORD', `the remote input set of ${this.manifestKey} ${why}: not read (a miss)`);
  }
}

/** The most a remote input set may make one lookup read: a crate's sources and included files are megabytes. */
export const MAX_BYTES = 2 ** 30;

/** statfs(2) magic numbers of the kernel's own file systems, whose files are no build's input. */
const KERNEL_FS = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x73636673, // securityfs
  0x62656570, // configfs
  0xcafe4a11, // bpf
  0x6165676c, // pstore
  0xde5e81e4, // efivarfs
  0x1cd1, // devpts
  0x42494e4d, // binfmt_misc
]);
