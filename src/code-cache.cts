// How bin/unstamp.js loads the CLI (issue 17: most of a small run was start-up): the CLI bundled
// into one CommonJS script (dist/bundle/unstamp.cjs, scripts/bundle-cli.mjs), compiled through
// vm.Script with V8's code cache. The first run compiles it and, once done, stores what V8
// compiled in a cache folder (README "Start-up", under Performance); later runs hand that back
// to V8, which then parses and compiles none of it. CommonJS because bin/unstamp.js requires it
// before any ES module loader is started.
//
// Anything wrong only costs the cache: with no folder to use (UNSTAMP_CACHE_DIR empty, one that
// cannot be made or written to, or others may write to) or a script that cannot be read or run,
// loadCli() returns undefined and bin/unstamp.js imports the ES module bundle; a cache that is
// damaged, of another build or refused by V8 is not used, the script is compiled and the cache
// replaced.
// Nothing is printed unless UNSTAMP_DEBUG_CODE_CACHE=1, and then on stderr only.
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');
import nodeModule = require('node:module');

type Main = (args?: string[]) => Promise<number>;

export interface LoadedCli {
  main: Main;
  /** After the run: store the code cache if there was none to use (every error swallowed). */
  afterRun: () => void;
}

/** Cache files kept per folder: one per build of unstamp and Node, the newest. */
const KEEP = 3;
/** A cache file: MAGIC, the CRC-32 of V8's data, its length (both little-endian uint32), the data. */
const MAGIC = Buffer.from('unstamp\x01');
const HEADER = MAGIC.length + 8;
const CACHE_NAME = /^unstamp-[0-9a-f]{16}-.+\.v8cache$/;
/** The temporary file of a write (writeCache), left behind only by a process killed in between. */
const TEMP_NAME = /^unstamp-[0-9a-f]{16}-.+\.v8cache\.\d+\.tmp$/;
const HOUR = 3600_000;
/** The bundle's first line names the SHA-256 of the rest (scripts/bundle-cli.mjs). */
const BUNDLE_ID = /^\/\/ unstamp ([0-9a-f]{64})\n/;

const debug = process.env.UNSTAMP_DEBUG_CODE_CACHE === '1';
function say(message: string): void {
  if (debug) process.stderr.write(`unstamp: code cache: ${message}\n`);
}

/**
 * The folder of the cache: $UNSTAMP_CACHE_DIR (empty: no cache), else $XDG_CACHE_HOME/unstamp
 * (an absolute XDG_CACHE_HOME only, as the XDG spec says), else ~/.cache/unstamp.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const own = env.UNSTAMP_CACHE_DIR;
  if (own !== undefined) return own === '' ? undefined : path.resolve(own);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'unstamp');
  const home = env.HOME || env.USERPROFILE;
  return home ? path.join(home, '.cache', 'unstamp') : undefined;
}

/**
 * The cache folder, made (mode 0700) if missing, or why it is not used. A cache is code that
 * V8 runs unchecked: a folder of another user, or one others may write to, is not used.
 */
function usableDir(dir: string): string | undefined {
  let st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    st = fs.statSync(dir);
  }
  if (!st.isDirectory()) return 'not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `owned by uid ${st.uid}, not by this user (${uid})`;
  if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) return `writable by others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/** A short hash of a short string (Node's own flags, which V8 checks the cache against). */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The file of this bundle's cache for this Node: the bundle's hash, Node's version, arch and flags. */
function cacheName(id: string): string {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim();
  return `unstamp-${id.slice(0, 16)}-node${process.version.slice(1)}-${process.arch}${flags ? `-${fnv1a(flags)}` : ''}.v8cache`;
}

const crc32 = (data: Buffer): number => (process.getBuiltinModule('node:zlib') as typeof import('node:zlib')).crc32(data);

/** V8's data from a cache file, or undefined (and why) when there is none or it is damaged. */
function readCache(file: string): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    say(`none at ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
    return undefined;
  }
  const data = raw.subarray(HEADER);
  // V8 checks its version, the source's length and its flags, not its own bytes: damaged
  // bytes could crash it or, worse, run. The CRC stands between them.
  if (raw.length < HEADER || !raw.subarray(0, MAGIC.length).equals(MAGIC) || raw.readUInt32LE(MAGIC.length + 4) !== data.length || raw.readUInt32LE(MAGIC.length) !== crc32(data)) {
    say(`${file} is damaged (header, length or CRC): not used`);
    return undefined;
  }
  return data;
}

/**
 * Write the cache by a temporary file and a rename, then remove all but the KEEP newest, and
 * temporary files more than an hour old.
 */
function writeCache(dir: string, file: string, data: Buffer): void {
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header);
  header.writeUInt32LE(crc32(data), MAGIC.length);
  header.writeUInt32LE(data.length, MAGIC.length + 4);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, Buffer.concat([header, data]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  say(`wrote ${file} (${data.length} bytes)`);
  const names = fs.readdirSync(dir);
  const mtime = (name: string) => fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const written = path.basename(file);
  const ours = names
    .filter((name) => CACHE_NAME.test(name))
    .map((name) => ({ name, mtime: mtime(name) }))
    .sort((a, b) => b.mtime - a.mtime || Number(b.name === written) - Number(a.name === written) || (a.name < b.name ? -1 : 1));
  const stale = names.filter((name) => TEMP_NAME.test(name) && Date.now() - mtime(name) > HOUR);
  for (const old of [...ours.slice(KEEP).map((o) => o.name), ...stale]) {
    fs.rmSync(path.join(dir, old), { force: true });
    say(`removed the older ${old}`);
  }
}

/** The cache folder to read and write, or undefined (and why) when there is none to use. */
function usableCacheDir(): string | undefined {
  const dir = cacheDir();
  if (dir === undefined) {
    say(process.env.UNSTAMP_CACHE_DIR === '' ? 'off (UNSTAMP_CACHE_DIR is empty)' : 'off (no HOME to put ~/.cache/unstamp in)');
    return undefined;
  }
  try {
    const why = usableDir(dir);
    if (why === undefined) return dir;
    say(`not using ${dir}: ${why}`);
  } catch (e) {
    say(`not using ${dir}: ${(e as Error).message}`);
  }
  return undefined;
}

/**
 * Compile and run the CLI bundle (by default dist/bundle/unstamp.cjs beside this file) with
 * the code cache, or compile it whole and write the cache after the run when there is none
 * yet. Its exports' main; undefined if there is no cache folder to use (the ES module bundle,
 * whose chunks are compiled as they are loaded, then starts faster than the whole script
 * compiled) or the bundle cannot be run.
 */
export function loadCli(bundle: string = path.join(__dirname, 'bundle', 'unstamp.cjs')): LoadedCli | undefined {
  const dir = usableCacheDir();
  if (dir === undefined) return undefined;
  let source: string;
  let id: string | undefined;
  try {
    source = fs.readFileSync(bundle, 'utf8');
    id = BUNDLE_ID.exec(source)?.[1];
  } catch (e) {
    say(`cannot read ${bundle}: ${(e as Error).message}`);
    return undefined;
  }
  if (id === undefined) {
    say(`${bundle} has no "// unstamp <sha256>" first line`);
    return undefined;
  }
  const file = path.join(dir, cacheName(id));
  const cachedData = readCache(file);
  if (!cachedData) {
    // A folder it could not write to (a read-only mount) would make every run compile it all.
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (e) {
      say(`not using ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? e})`);
      return undefined;
    }
    say(`compiling ${bundle}; the cache is written after the run`);
  }
  let script: vm.Script;
  let main: Main;
  try {
    // Node's own CommonJS wrapper, on the first line so that line numbers stay the file's.
    script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename: bundle, cachedData });
    const module = { exports: {} as { main?: Main } };
    (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, nodeModule.createRequire(bundle), module, bundle, path.dirname(bundle));
    if (typeof module.exports.main !== 'function') throw new Error('it exports no main()');
    main = module.exports.main;
  } catch (e) {
    say(`cannot run ${bundle}: ${(e as Error).message}`);
    return undefined;
  }
  if (cachedData) say(script.cachedDataRejected ? `${file} refused by V8: compiled, and replacing it` : `used ${file}`);
  const store = !cachedData || script.cachedDataRejected === true;
  return {
    main,
    afterRun: () => {
      if (!store) return;
      try {
        // Taken after the run: it holds every function the run compiled, not just the top level.
        writeCache(dir, file, script.createCachedData());
      } catch (e) {
        say(`cannot write ${file}: ${(e as Error).message}`);
      }
    },
  };
}
