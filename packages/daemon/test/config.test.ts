import t from 'tap';
import { readConfig } from '../src/config.js';

const base = { HOME: '/home/u', SPLITCACHE_DIR: '/s' };
const GiB = 2 ** 30;

t.test('unset, empty and good values: no problems', async (t) => {
  const dflt = readConfig(base);
  t.same(dflt.problems, []);
  t.same([dflt.idleTimeoutMs, dflt.maxBytes, dflt.maxEntryBytes, dflt.logLevel, dflt.remap, dflt.remote], [600_000, 10 * GiB, 2 * GiB, 'warn', false, undefined], 'the defaults');
  const empty = readConfig({ ...base, SPLITCACHE_MAX_SIZE: '', SPLITCACHE_IDLE_TIMEOUT: '', SPLITCACHE_LOG: '', SPLITCACHE_REMAP: '' });
  t.same([empty.problems, empty.maxBytes, empty.idleTimeoutMs], [[], 10 * GiB, 600_000], 'empty is unset');
  // Number(' ') is 0: a value of blanks read as never (the idle timeout) or for good (the audit days).
  const blank = readConfig({ ...base, SPLITCACHE_MAX_SIZE: ' ', SPLITCACHE_IDLE_TIMEOUT: ' ', SPLITCACHE_AUDIT_DAYS: '\t' });
  t.same([blank.problems, blank.maxBytes, blank.idleTimeoutMs, blank.auditKeepMs], [[], 10 * GiB, 600_000, 90 * 864e5], 'blanks are unset');
  // Read as given, these were used: a producer of blanks on every entry, a signing key of blanks, and
  // a remote, a mode, base dirs and a store dir of blanks each named as a setting that can't be used.
  const blanks = readConfig({
    ...base, SPLITCACHE_PRODUCER: '  ', SPLITCACHE_SIGNING_KEY: ' ', SPLITCACHE_REMOTE: ' ', SPLITCACHE_REMOTE_MODE: ' ', SPLITCACHE_BASEDIRS: ' ', SPLITCACHE_DIR: '  ',
  });
  t.same([blanks.problems, blanks.producer, blanks.remote, blanks.baseDirs, blanks.dir], [[], dflt.producer, undefined, [], '/home/u/.cache/splitcache'], 'blank text settings are unset too');
  t.equal(readConfig({ ...base, SPLITCACHE_REMOTE: 'http://c/', SPLITCACHE_SIGNING_KEY: '  ' }).remote?.signingKey, undefined, 'a signing key of blanks is none');
  // Other machines' readers refuse an entry whose producer holds a control character (remote/checkEntry.ts).
  const lined = readConfig({ ...base, SPLITCACHE_PRODUCER: 'ci\nrunner' });
  t.same([lined.producer, lined.problems], [dflt.producer, [`SPLITCACHE_PRODUCER holds a control character or is over 256 characters; using ${JSON.stringify(dflt.producer)}`]], 'a producer with a line break is not used, and said');
  t.same(readConfig({ ...base, SPLITCACHE_PRODUCER: 'ci runner 7' }).producer, 'ci runner 7', 'a producer of printable text is');
  t.same(readConfig({ ...base, SPLITCACHE_MAX_SIZE: '0.4' }).problems, ['SPLITCACHE_MAX_SIZE is not a size such as 10G or 500M (0: no limit): "0.4"; using 10G'], 'a fraction of a byte is no size (it read as 0: no limit)');
  const good = readConfig({
    ...base, SPLITCACHE_MAX_SIZE: '20GiB', SPLITCACHE_MAX_ENTRY_SIZE: '100M', SPLITCACHE_IDLE_TIMEOUT: '1.5', SPLITCACHE_LOG: 'debug', SPLITCACHE_REMAP: '1',
    SPLITCACHE_BASEDIRS: '/a:/b', SPLITCACHE_REMOTE: 'http://cache:8080/x', SPLITCACHE_REMOTE_MODE: 'read-only', SPLITCACHE_REMOTE_RETRIES: '0', SPLITCACHE_REMOTE_COMPRESS: 'none',
  });
  t.same(good.problems, []);
  t.same([good.maxBytes, good.maxEntryBytes, good.idleTimeoutMs, good.logLevel, good.remap, good.baseDirs], [20 * GiB, 100 * 2 ** 20, 1500, 'debug', true, ['/a', '/b']]);
  t.match(good.remote, { url: 'http://cache:8080/x', mode: 'read-only', retries: 0, compression: 'none', timeoutMs: 3000 });
});

t.test('0 means no limit for the sizes (as ccache) and never for the idle timeout (as sccache)', async (t) => {
  const c = readConfig({ ...base, SPLITCACHE_MAX_SIZE: '0', SPLITCACHE_IDLE_TIMEOUT: '0' });
  t.same(c.problems, []);
  t.equal(c.maxBytes, Infinity, 'no size limit');
  t.equal(c.maxEntryBytes, 2 * GiB, 'an entry still defaults to 2G');
  t.equal(c.idleTimeoutMs, Infinity, 'no idle exit');
  t.equal(readConfig({ ...base, SPLITCACHE_MAX_ENTRY_SIZE: '0', SPLITCACHE_MAX_SIZE: '0' }).maxEntryBytes, Infinity, 'no entry limit, in a store of no limit');
  // A result larger than the whole store made gc evict every entry, then it (LRU: the newest alone is over).
  t.equal(readConfig({ ...base, SPLITCACHE_MAX_ENTRY_SIZE: '0' }).maxEntryBytes, 10 * GiB, "no entry limit but the store's own");
  t.equal(readConfig({ ...base, SPLITCACHE_MAX_ENTRY_SIZE: '5M', SPLITCACHE_MAX_SIZE: '2M' }).maxEntryBytes, 2 * 1024 * 1024, 'nor one larger than the store');
  t.equal(c.settings.SPLITCACHE_MAX_SIZE, 'Infinity', 'compared as such by the drift check');
});

t.test('seconds beyond what a timer holds: never for the idle timeout, the longest timer for another', async (t) => {
  // node fires a timer of more than 2^31-1 ms after 1 ms: a year's idle timeout ended the daemon as soon as it was idle.
  const c = readConfig({ ...base, SPLITCACHE_IDLE_TIMEOUT: '31536000', SPLITCACHE_REMOTE: 'http://127.0.0.1:1/', SPLITCACHE_REMOTE_TIMEOUT: '1e9' });
  t.same(c.problems, []);
  t.equal(c.idleTimeoutMs, Infinity, 'a year: no idle exit');
  t.equal(readConfig({ ...base, SPLITCACHE_IDLE_TIMEOUT: '2147483' }).idleTimeoutMs, 2147483000, 'the longest timer in whole seconds is kept');
  t.equal(c.remote?.timeoutMs, 2 ** 31 - 1, 'a remote timeout is at most the longest timer');
});

t.test('a value that can\'t be used is named with what is used instead, and the cache stays on', async (t) => {
  const c = readConfig({
    ...base, SPLITCACHE_MAX_SIZE: 'lots', SPLITCACHE_MAX_ENTRY_SIZE: '1,5G', SPLITCACHE_IDLE_TIMEOUT: '-5', SPLITCACHE_LOG: 'loud', SPLITCACHE_REMAP: 'maybe',
    SPLITCACHE_BASEDIRS: '/ok:rel/dir',
  });
  t.same(c.problems, [
    'SPLITCACHE_MAX_SIZE is not a size such as 10G or 500M (0: no limit): "lots"; using 10G',
    'SPLITCACHE_IDLE_TIMEOUT is not a number of seconds (0: never): "-5"; using 600',
    'SPLITCACHE_LOG must be warn, quiet or debug, not "loud"; using warn',
    'SPLITCACHE_BASEDIRS takes absolute paths, not "rel/dir"; left out',
    'SPLITCACHE_REMAP must be 1 (or true, yes, on) or 0 (or false, no, off), not "maybe"; remap is off',
    'SPLITCACHE_MAX_ENTRY_SIZE is not a size such as 10G or 500M (0: no limit): "1,5G"; using a quarter of the max size, at most 2G',
  ]);
  t.same([c.maxBytes, c.maxEntryBytes, c.idleTimeoutMs, c.logLevel, c.remap, c.baseDirs], [10 * GiB, 2 * GiB, 600_000, 'warn', false, ['/ok']], 'each takes its default');
});

t.test('a relative SPLITCACHE_DIR is named, and the default store used', async (t) => {
  const c = readConfig({ HOME: '/home/u', SPLITCACHE_DIR: 'cache/sc' });
  t.equal(c.dir, '/home/u/.cache/splitcache');
  t.same(c.problems, ['SPLITCACHE_DIR must be an absolute path, not "cache/sc"; using /home/u/.cache/splitcache']);
  t.same(readConfig({ HOME: '/home/u', SPLITCACHE_DIR: '/abs/sc' }).problems, [], 'an absolute one is no problem');
});

// SPLITCACHE_REMAP read `true` as a value it can't take, where SPLITCACHE_DISABLE takes it (an error-message audit's find).
t.test('SPLITCACHE_REMAP is a switch as SPLITCACHE_DISABLE is', async (t) => {
  for (const on of ['1', 'true', 'YES', 'on ']) t.same([readConfig({ ...base, SPLITCACHE_REMAP: on }).remap, readConfig({ ...base, SPLITCACHE_REMAP: on }).problems], [true, []], `${JSON.stringify(on)}: on`);
  for (const off of ['0', 'false', 'No', 'OFF']) t.same([readConfig({ ...base, SPLITCACHE_REMAP: off }).remap, readConfig({ ...base, SPLITCACHE_REMAP: off }).problems], [false, []], `${JSON.stringify(off)}: off`);
});

t.test('the per-call client settings: a value they can\'t take is named', async (t) => {
  t.same(readConfig({ ...base, SPLITCACHE_CLIENT: 'node', SPLITCACHE_CLIENT_SOCKET: 'net', SPLITCACHE_CLIENT_SPAWN: 'node' }).problems, [], 'the values they take');
  t.same(readConfig({ ...base, SPLITCACHE_CLIENT: 'bash', SPLITCACHE_CLIENT_SOCKET: 'raw', SPLITCACHE_CLIENT_SPAWN: 'fork' }).problems, [
    'SPLITCACHE_CLIENT must be node, not "bash"; using the exec port where it can',
    'SPLITCACHE_CLIENT_SOCKET must be net, not "raw"; using the raw pipe where tested',
    'SPLITCACHE_CLIENT_SPAWN must be node, not "fork"; using the raw spawn where tested',
  ]);
});

t.test('bad remote settings: the URL or mode turns the remote off; a bad number takes its default', async (t) => {
  const url = readConfig({ ...base, SPLITCACHE_REMOTE: 'cache.example:8080' });
  t.same([url.remote, url.problems], [undefined, ['SPLITCACHE_REMOTE is not an http(s) URL: "cache.example:8080"; the remote cache is off']]);
  const mode = readConfig({ ...base, SPLITCACHE_REMOTE: 'http://c/', SPLITCACHE_REMOTE_MODE: 'readonly' });
  t.same([mode.remote, mode.problems], [undefined, ['SPLITCACHE_REMOTE_MODE must be read-write, read-only or off, not "readonly"; the remote cache is off']]);
  t.same(readConfig({ ...base, SPLITCACHE_REMOTE: 'http://c/', SPLITCACHE_REMOTE_MODE: 'off' }).problems, [], 'off is a mode');
  t.same(readConfig({ ...base, SPLITCACHE_REMOTE_MODE: 'nonsense' }).problems, [], 'no remote, so its mode is never read');
  // The Basic credentials are %-decoded from the URL: one that doesn't decode used to turn the remote off with a line in daemon.log only.
  const creds = readConfig({ ...base, SPLITCACHE_REMOTE: 'http://u:p%ZZ@127.0.0.1:18799/' });
  t.same([creds.remote, creds.problems], [undefined, ['SPLITCACHE_REMOTE has a user name or password that is not valid %-encoding; the remote cache is off']], 'bad %-encoding in the credentials: named, not shown');
  t.same(readConfig({ ...base, SPLITCACHE_REMOTE: 'http://u:p%21@c/' }).problems, [], 'good %-encoding is fine');
  const nums = readConfig({ ...base, SPLITCACHE_REMOTE: 'http://c/', SPLITCACHE_REMOTE_TIMEOUT: '0', SPLITCACHE_REMOTE_BREAKER: '0', SPLITCACHE_REMOTE_RETRIES: '1.5', SPLITCACHE_REMOTE_COMPRESS: 'zstd' });
  t.match(nums.remote, { timeoutMs: 3000, breakerThreshold: 3, retries: 2, compression: 'gzip' }, 'the defaults');
  t.same(nums.problems, [
    'SPLITCACHE_REMOTE_TIMEOUT is not a number of seconds above 0: "0"; using 3',
    'SPLITCACHE_REMOTE_RETRIES is not a whole number from 0 to 10: "1.5"; using 2',
    'SPLITCACHE_REMOTE_BREAKER is not a whole number from 1 to 1000000: "0"; using 3',
    'SPLITCACHE_REMOTE_COMPRESS must be gzip or none, not "zstd"; using gzip',
  ]);
  // A count in digits alone, and within its bounds: 11 retries held a failing lookup for a minute, 20 for hours.
  for (const bad of ['11', '1e3', '0x10', '18446744073709551616', '-1']) {
    const c = readConfig({ ...base, SPLITCACHE_REMOTE: 'http://c/', SPLITCACHE_REMOTE_RETRIES: bad });
    t.same([c.remote?.retries, c.problems], [2, [`SPLITCACHE_REMOTE_RETRIES is not a whole number from 0 to 10: "${bad}"; using 2`]], `SPLITCACHE_REMOTE_RETRIES=${bad}: named, the default used`);
  }
  t.equal(readConfig({ ...base, SPLITCACHE_REMOTE: 'http://c/', SPLITCACHE_REMOTE_RETRIES: ' 10 ' }).remote?.retries, 10, 'ten, blanks around it, is taken');
});

t.test('a size past what a number holds is named, not taken as no limit', async (t) => {
  // 400 nines was Infinity: no size limit, and no word of it.
  for (const big of ['9'.repeat(400), `${'9'.repeat(300)}T`]) {
    const c = readConfig({ ...base, SPLITCACHE_MAX_SIZE: big });
    t.equal(c.maxBytes, 10 * GiB, `SPLITCACHE_MAX_SIZE=${big}: the default`);
    t.same(c.problems, [`SPLITCACHE_MAX_SIZE is not a size such as 10G or 500M (0: no limit): "${big}"; using 10G`], 'named');
  }
  t.equal(readConfig({ ...base, SPLITCACHE_MAX_SIZE: '8000T' }).maxBytes, 8000 * 2 ** 40, '8000T is a size');
  t.equal(readConfig({ ...base, SPLITCACHE_MAX_SIZE: '9999999999999999999999999' }).maxBytes, 1e25, 'as is one past any disk');
});

t.test('SPLITCACHE_AUDIT_DAYS: 90 days by default, 0 for good, anything else unreadable named', async (t) => {
  t.equal(readConfig(base).auditKeepMs, 90 * 864e5, 'the default');
  t.equal(readConfig({ ...base, SPLITCACHE_AUDIT_DAYS: '7' }).auditKeepMs, 7 * 864e5);
  t.equal(readConfig({ ...base, SPLITCACHE_AUDIT_DAYS: '0' }).auditKeepMs, Infinity, 'kept for good');
  const bad = readConfig({ ...base, SPLITCACHE_AUDIT_DAYS: 'a month' });
  t.equal(bad.auditKeepMs, 90 * 864e5);
  t.match(bad.problems, [/SPLITCACHE_AUDIT_DAYS is not a number of days \(0: for good\): "a month"; using 90/]);
});

t.test('the signing key: blanks around it dropped, so a key read with its trailing newline signs as the same key typed', async (t) => {
  const remote = { ...base, SPLITCACHE_REMOTE: 'http://c/' };
  t.equal(readConfig({ ...remote, SPLITCACHE_SIGNING_KEY: 'k1\n' }).remote?.signingKey, 'k1', "a file's newline dropped");
  t.equal(readConfig({ ...remote, SPLITCACHE_SIGNING_KEY: ' k1\r\n' }).remote?.signingKey, 'k1', 'blanks and a CRLF dropped');
  t.equal(readConfig({ ...remote, SPLITCACHE_SIGNING_KEY: 'k 1' }).remote?.signingKey, 'k 1', 'a blank inside is the key');
});

t.test("the remote's token: blanks around it dropped, one with a control character inside not used", async (t) => {
  const remote = { ...base, SPLITCACHE_REMOTE: 'http://c/' };
  t.equal(readConfig({ ...remote, SPLITCACHE_REMOTE_TOKEN: 'tok-1\r' }).remote?.token, 'tok-1', 'a CRLF file\'s \\r dropped');
  t.equal(readConfig({ ...remote, SPLITCACHE_REMOTE_TOKEN: ' tok-1 \n' }).remote?.token, 'tok-1', 'blanks around it dropped');
  const bad = readConfig({ ...remote, SPLITCACHE_REMOTE_TOKEN: 'tok\n1' });
  t.equal(bad.remote?.token, undefined, 'a line break inside: not used');
  t.same(bad.problems, ['SPLITCACHE_REMOTE_TOKEN holds a control character (a line break, a tab); it is not used'], 'named, never shown');
});
