import { SplitcacheError } from '@splitcache/errors';

const MAGIC = '!<arch>\n';
/** GNU ar's thin archive (`ar T`): member headers, no member data; each name is a file's path. */
const THIN_MAGIC = '!<thin>\n';
const HEADER = 60;
/** More members than any rlib has: a bound for a corrupt size field that loops. */
const MAX_MEMBERS = 1 << 20;

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Buffer;

/**
 * The member names of a Unix `ar` archive (an rlib, a staticlib), in order,
 * read from its 60-byte headers without reading the members themselves: GNU
 * names (`name/`, and `/N` into the `//` table), BSD ones (`#1/N`, the name
 * at the start of the data) and plain space-padded ones. The symbol tables
 * (`/`, `/SYM64/`, `__.SYMDEF…`) are not members. A thin archive's members
 * are read too (isThinArchive): their names are the paths of the files that
 * hold them, relative to the archive's directory unless absolute. Throws
 * SPLITCACHE_ARCHIVE_MALFORMED for anything that is not such an archive.
 */
export function archiveMembers(readAt: ReadAt, size: number): string[] {
  const bad = (why: string) => new SplitcacheError('SPLITCACHE_ARCHIVE_MALFORMED', `not an ar archive: ${why}`);
  const thin = isThinArchive(readAt);
  if (!thin && readAt(0, MAGIC.length).toString('latin1') !== MAGIC) throw bad('no !<arch> magic');
  const names: string[] = [];
  let longNames: Buffer | undefined;
  let pos = MAGIC.length;
  while (pos < size) {
    if (names.length >= MAX_MEMBERS) throw bad('too many members');
    const header = readAt(pos, HEADER);
    if (header.length < HEADER || header[58] !== 0x60 || header[59] !== 0x0a) throw bad(`bad member header at offset ${pos}`);
    const rawName = header.toString('latin1', 0, 16);
    const sizeField = header.toString('latin1', 48, 58).trim();
    if (!/^\d+$/.test(sizeField)) throw bad(`bad member size at offset ${pos}`);
    const name = rawName.trimEnd();
    // In a thin archive only the symbol and name tables have their data here; a member's size is its file's.
    const dataSize = thin && !(name === '/' || name === '//' || name === '/SYM64/') ? 0 : Number(sizeField);
    const dataAt = pos + HEADER;
    if (dataAt + dataSize > size) throw bad(`member at offset ${pos} runs past the end`);
    if (name === '//') {
      longNames = readAt(dataAt, dataSize);
    } else if (name === '/' || name === '/SYM64/' || name.startsWith('__.SYMDEF')) {
      // a symbol table
    } else if (/^\/\d+$/.test(name)) {
      const at = Number(name.slice(1));
      if (!longNames || at >= longNames.length) throw bad(`long name ${name} outside the name table`);
      const end = longNames.indexOf('/\n', at, 'latin1');
      names.push(longNames.toString('utf8', at, end < 0 ? longNames.length : end));
    } else if (/^#1\/\d+$/.test(name)) {
      const length = Number(name.slice(3));
      if (length > dataSize) throw bad(`BSD name at offset ${pos} longer than its member`);
      names.push(readAt(dataAt, length).toString('utf8').replace(/\0+$/, ''));
    } else {
      names.push(name.endsWith('/') ? name.slice(0, -1) : name);
    }
    pos = dataAt + dataSize + (dataSize % 2);
  }
  return names;
}

/** Whether the archive is a thin one (`ar T`, `!<thin>` magic), whose members are files of their own. */
export function isThinArchive(readAt: ReadAt): boolean {
  return readAt(0, THIN_MAGIC.length).toString('latin1') === THIN_MAGIC;
}
