// The benchmark's inputs, built once and cached by TREE_VERSION:
//   tree/      a mixed release tree of real files (PE+PDB, Mach-O, static libraries, jars, gz)
//   big/       the 1 GiB zip64 and the 1 GiB PE (with its PDB), for the peak-RSS rows
//   small/     many small files, a 20,000-member ar archive, a 500,000-member cpio archive
// Every file is made by a real tool or copied from a real file Debian installs; nothing
// is hand-crafted. Sources that are not installed are left out and the composition says so.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
  openSync,
  readSync,
  closeSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Bump when the tree's recipe changes: a cached tree of another version is rebuilt. */
export const TREE_VERSION = 'tree-4';

const GIB = 1 << 30;

/** Size settings of the two modes. */
export function sizes(quick) {
  return quick
    ? { copies: 2, peBuilds: 2, machoBuilds: 1, funcs: 60, maxLinuxA: 2e6, maxMingwA: 40, maxDocGz: 150, maxJar: 1e6, maxDll: 1.5e6, bigBytes: 64 << 20, smallCopies: 10, arMembers: 2000, cpioMembers: 20000 }
    : { copies: 12, peBuilds: 24, machoBuilds: 6, funcs: 400, maxLinuxA: Infinity, maxMingwA: Infinity, maxDocGz: Infinity, maxJar: Infinity, maxDll: Infinity, bigBytes: GIB, smallCopies: 100, arMembers: 20000, cpioMembers: 500000 };
}

export function cacheDir(quick) {
  const base = process.env.UNSTAMP_BENCH_CACHE ?? path.join(os.tmpdir(), 'unstamp-bench-cache');
  return path.join(base, `${TREE_VERSION}-${quick ? 'quick' : 'full'}`);
}

const has = (tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** The first of the names on PATH, else in an LLVM bin folder (Debian puts ld64.lld only there and as ld64.lld-NN). */
function findTool(name) {
  if (has(name)) return name;
  for (const v of [19, 18, 17, 16, 15, 14, 13]) {
    if (has(`${name}-${v}`)) return `${name}-${v}`;
    if (existsSync(`/usr/lib/llvm-${v}/bin/${name}`)) return `/usr/lib/llvm-${v}/bin/${name}`;
  }
  return undefined;
}

/** Regular files directly in (or, with recursive, under) dir, symlinks resolved and deduplicated, sorted. */
function filesIn(dir, test, recursive = false) {
  if (!existsSync(dir)) return [];
  const seen = new Set();
  const out = [];
  for (const e of readdirSync(dir, { recursive, withFileTypes: true })) {
    const p = path.join(e.parentPath ?? e.path, e.name);
    if (!test(e.name, p)) continue;
    let real;
    try {
      real = realpathSync(p);
      if (!statSync(real).isFile()) continue;
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(p);
  }
  return out.sort();
}

const copy = (from, to) => {
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(realpathSync(from), to);
};

function copyTree(from, to) {
  for (const f of filesIn(from, () => true, true)) copy(f, path.join(to, path.relative(from, f)));
}

/** A deterministic pseudo-random generator, so generated sources are the same on every machine. */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * C source of one module: `funcs` functions over a few structs, with no library calls
 * (so it links for Windows and for macOS alike). Only the build inputs are generated;
 * the PE, PDB and Mach-O files are what the real compilers and linkers make of them.
 */
function cModule(name, funcs, seed) {
  const r = rng(seed);
  const lines = [`/* generated benchmark module ${name} */`];
  for (let i = 0; i < funcs; i++) {
    lines.push(`struct ${name}_s${i} { int a; double b; unsigned char tag[${8 + Math.floor(r() * 40)}]; struct ${name}_s${i} *next; };`);
    const k = 1 + Math.floor(r() * 1000);
    lines.push(
      `int ${name}_f${i}(struct ${name}_s${i} *p, int x) { int t = x * ${k}; for (int j = 0; j < x; j++) { t ^= (t << 3) + j + p->a; p->tag[j % sizeof p->tag] = (unsigned char)t; } if (p->next) t += ${name}_f${i}(p->next, x - 1); return t + (int)(p->b * ${(r() * 10).toFixed(3)}); }`,
    );
  }
  lines.push(`int ${name}_all(int x) { int t = 0;`);
  for (let i = 0; i < funcs; i++) lines.push(` { struct ${name}_s${i} v = {0}; v.a = x; t += ${name}_f${i}(&v, x); }`);
  lines.push(' return t; }');
  return lines.join('\n') + '\n';
}

/** `bytes` bytes of real content: the given files repeated. Written once, reused. */
function realBlob(file, bytes, sources) {
  if (existsSync(file) && statSync(file).size === bytes) return file;
  const fd = openSync(file, 'w');
  try {
    let n = 0;
    for (let i = 0; n < bytes; i++) {
      const buf = readFileSync(sources[i % sources.length]);
      const part = buf.subarray(0, Math.min(buf.length, bytes - n));
      writeSyncAll(fd, part);
      n += part.length;
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

function writeSyncAll(fd, buf) {
  for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done);
}

/** A C file that embeds `blob` as read-only data (what a resource-heavy binary looks like to a hasher). */
function embedSource(blob, section) {
  return `__asm__(".section ${section}\\n.globl bench_blob\\nbench_blob:\\n.incbin \\"${blob}\\"\\n");\n`;
}

const mingwDllDirs = () => ['/usr/lib/gcc/x86_64-w64-mingw32', '/usr/x86_64-w64-mingw32/lib'];

function realSources() {
  const dlls = mingwDllDirs().flatMap((d) => filesIn(d, (n) => n.endsWith('.dll'), true));
  return dlls.length ? dlls.sort((a, b) => statSync(b).size - statSync(a).size) : [process.execPath];
}

/** gcc's own library folder for mingw-w64 (libgcc, libgcc_eh), which clang's mingw driver does not search by itself. */
function mingwGccLib() {
  const base = '/usr/lib/gcc/x86_64-w64-mingw32';
  const dirs = existsSync(base) ? readdirSync(base).map((d) => path.join(base, d)) : [];
  return dirs.find((d) => d.endsWith('-win32') && existsSync(path.join(d, 'libgcc.a'))) ?? dirs.find((d) => existsSync(path.join(d, 'libgcc.a')));
}

/**
 * The two toolchains the PE builds are linked with. GNU ld (`--pdb`, binutils >= 2.40) and LLVM's
 * lld in its MinGW mode write different PDBs: ducible (the PE+PDB reference) refuses GNU ld's
 * ("got partial file info in DBI stream": no source file names in the DBI file info) and takes
 * lld's, so the tree holds both.
 */
function peToolchain(linker) {
  if (linker === 'ld') {
    if (!has('x86_64-w64-mingw32-gcc')) return { missing: 'PE+PDB builds (GNU ld): x86_64-w64-mingw32-gcc missing (apt-get install gcc-mingw-w64-x86-64)' };
    return { cc: 'x86_64-w64-mingw32-gcc', cflags: ['-O1', '-g'], ldflags: [] };
  }
  const clang = findTool('clang');
  const lib = mingwGccLib();
  if (!clang || !findTool('ld.lld') || !lib) return { missing: 'PE+PDB builds (lld): clang, ld.lld or the mingw-w64 libgcc missing (apt-get install clang lld gcc-mingw-w64-x86-64)' };
  return { cc: clang, cflags: ['--target=x86_64-w64-mingw32', '-O1', '-g', '-gcodeview'], ldflags: ['--target=x86_64-w64-mingw32', '-fuse-ld=lld', `-L${lib}`] };
}

/**
 * PE images with their PDBs linked by GNU ld or lld (`--pdb`) from generated C: for each build an
 * EXE and a DLL, in its own folder, some with an embedded resource blob of real bytes,
 * some stripped. Returns what was left out, if anything.
 */
function buildPe(dest, work, sz, log, linker) {
  const tc = peToolchain(linker);
  if (tc.missing) return tc.missing;
  const src = path.join(work, `pe-src-${linker}`);
  mkdirSync(src, { recursive: true });
  const cc = (args) => execFileSync(tc.cc, args, { cwd: src });
  const mods = ['core', 'net', 'ui', 'db'];
  log(`  compiling ${mods.length} generated C modules for PE (${path.basename(tc.cc)} ${tc.cflags.join(' ')})`);
  for (const [i, m] of mods.entries()) {
    writeFileSync(path.join(src, `${m}.c`), cModule(m, sz.funcs, 1000 + i));
    cc([...tc.cflags, '-c', `${m}.c`, '-o', `${m}.o`]);
  }
  writeFileSync(path.join(src, 'main.c'), 'int core_all(int);\nint main(int argc, char **argv) { (void)argv; return core_all(argc) & 1; }\n');
  writeFileSync(path.join(src, 'dllmain.c'), '__declspec(dllexport) int bench_entry(int x) { extern int net_all(int); return net_all(x); }\n');
  const sources = realSources();
  for (let b = 0; b < sz.peBuilds; b++) {
    const out = path.join(dest, `build-${String(b).padStart(2, '0')}`);
    mkdirSync(out, { recursive: true });
    // Object order and subset vary per build, so the images differ in layout, not only in name.
    const objs = mods.slice(0, 1 + (b % mods.length)).map((m) => `${m}.o`);
    if (b % 2) objs.reverse();
    const extra = [];
    if (b % 3 === 0) {
      // A resource blob of real bytes (0.5 .. 4 MiB), as an installer or an app with assets carries.
      const bytes = (512 << 10) * (1 + (b % 8));
      const blob = realBlob(path.join(src, `blob-${bytes}.bin`), bytes, sources);
      writeFileSync(path.join(src, `res${b}.c`), embedSource(blob, '.rdata,\\"dr\\"'));
      cc([...tc.cflags, '-c', `res${b}.c`, '-o', `res${b}.o`]);
      extra.push(`res${b}.o`);
    }
    const strip = b % 4 === 1 ? ['-s'] : [];
    const link = [...tc.ldflags, ...(linker === 'ld' ? [] : tc.cflags.filter((f) => f !== '-O1'))];
    const exe = path.join(out, `app${b}.exe`);
    cc([...link, ...strip, '-o', exe, 'main.c', ...objs, ...extra, `-Wl,--pdb=${path.join(out, `app${b}.pdb`)}`]);
    const dll = path.join(out, `lib${b}.dll`);
    cc([...link, ...strip, '-shared', '-o', dll, 'dllmain.c', ...new Set(['net.o', ...objs]), `-Wl,--out-implib,${path.join(out, `lib${b}.dll.a`)}`, `-Wl,--pdb=${path.join(out, `lib${b}.pdb`)}`]);
  }
  return undefined;
}

/** Mach-O dylibs (arm64, x86_64, and fat) linked by ld64.lld from generated C; arm64 ones ad-hoc signed. */
function buildMacho(dest, work, sz, samplesDir) {
  const tools = {};
  for (const t of ['clang', 'ld64.lld', 'llvm-lipo']) if (!(tools[t] = findTool(t))) return `Mach-O builds: ${t} missing (apt-get install clang lld llvm)`;
  const src = path.join(work, 'macho-src');
  mkdirSync(src, { recursive: true });
  const tbd = path.join(samplesDir, 'macho', 'src', 'libSystem.tbd');
  const sources = realSources();
  for (let b = 0; b < sz.machoBuilds; b++) {
    const name = `mod${b}`;
    writeFileSync(path.join(src, `${name}.c`), cModule(name, Math.max(20, sz.funcs >> 1), 2000 + b));
    const bytes = (1 << 20) * (1 + (b % 4));
    const blob = realBlob(path.join(src, `blob-${bytes}.bin`), bytes, sources);
    writeFileSync(path.join(src, `res${b}.c`), embedSource(blob, '__TEXT,__const'));
    const out = path.join(dest, `build-${b}`);
    mkdirSync(out, { recursive: true });
    const thin = [];
    for (const arch of ['arm64', 'x86_64']) {
      for (const f of [name, `res${b}`]) execFileSync(tools.clang, [`--target=${arch}-apple-macos11`, '-O1', '-g', '-fno-stack-protector', '-c', `${f}.c`, '-o', `${f}-${arch}.o`], { cwd: src });
      const lib = path.join(out, `lib${name}-${arch}.dylib`);
      execFileSync(
        tools['ld64.lld'],
        ['-arch', arch, '-platform_version', 'macos', '11.0', '11.0', '-dylib', '-install_name', `@rpath/lib${name}.dylib`, '-o', lib, `${name}-${arch}.o`, `res${b}-${arch}.o`, tbd],
        { cwd: src },
      );
      thin.push(lib);
    }
    execFileSync(tools['llvm-lipo'], [...thin, '-create', '-output', path.join(out, `lib${name}.dylib`)]);
  }
  return undefined;
}

/** The mixed release tree. Returns the notes on what was left out. */
function buildTree(tree, work, sz, samplesDir, log) {
  const missing = [];
  // PE: the real mingw-w64 runtime DLLs (gcc's and mingw-w64's), then linked EXE/DLL+PDB builds, then copies of samples/pe.
  log('  pe: real mingw-w64 runtime DLLs');
  const dllDirs = mingwDllDirs();
  if (!existsSync(dllDirs[0])) missing.push('mingw-w64 runtime DLLs (apt-get install gcc-mingw-w64-x86-64)');
  for (const d of dllDirs) {
    for (const f of filesIn(d, (n) => n.endsWith('.dll'), true)) {
      if (statSync(f).size > sz.maxDll) continue;
      copy(f, path.join(tree, 'pe', 'runtime', path.basename(d), path.relative(d, f)));
    }
  }
  log('  pe: EXE and DLL with PDB linked by GNU ld --pdb, and by lld --pdb');
  for (const [linker, part] of [['ld', 'ld-pdb'], ['lld', 'lld-pdb']]) {
    const peMissing = buildPe(path.join(tree, 'pe', part), work, sz, log, linker);
    if (peMissing) missing.push(peMissing);
  }
  for (let i = 0; i < sz.copies; i++) copyTree(path.join(samplesDir, 'pe'), path.join(tree, 'pe', 'samples', `copy-${i}`));

  log('  macho: dylibs linked by ld64.lld, and copies of samples/macho');
  const machoMissing = buildMacho(path.join(tree, 'macho', 'ld64'), work, sz, samplesDir);
  if (machoMissing) missing.push(machoMissing);
  for (let i = 0; i < sz.copies; i++) copyTree(path.join(samplesDir, 'macho'), path.join(tree, 'macho', 'samples', `copy-${i}`));

  log('  lib: static libraries of Debian (glibc & co) and mingw-w64 (import and static libraries)');
  let n = 0;
  for (const f of filesIn('/usr/lib/x86_64-linux-gnu', (name) => name.endsWith('.a'))) {
    if (statSync(f).size > sz.maxLinuxA) continue;
    copy(f, path.join(tree, 'lib', 'linux', path.basename(f)));
    n++;
  }
  if (n === 0) missing.push('/usr/lib/x86_64-linux-gnu/*.a (apt-get install libc6-dev)');
  for (const f of filesIn('/usr/x86_64-w64-mingw32/lib', (name) => name.endsWith('.a')).slice(0, sz.maxMingwA)) {
    copy(f, path.join(tree, 'lib', 'mingw', path.basename(f)));
  }
  for (let i = 0; i < sz.copies; i++) copyTree(path.join(samplesDir, 'ar'), path.join(tree, 'lib', 'samples', `copy-${i}`));

  log('  java: jars from /usr/share/java, and copies of samples/zip');
  const jars = filesIn('/usr/share/java', (name) => name.endsWith('.jar')).filter((f) => statSync(f).size <= sz.maxJar);
  if (jars.length < 20) missing.push('few jars in /usr/share/java (apt-get install libbcprov-java libicu4j-java libecj-java libxerces2-java)');
  for (const f of jars) copy(f, path.join(tree, 'java', path.basename(realpathSync(f))));
  for (let i = 0; i < sz.copies; i++) copyTree(path.join(samplesDir, 'zip'), path.join(tree, 'java', 'samples', `copy-${i}`));

  log('  gz: /usr/share/doc/*/*.gz, and copies of samples/gzip');
  const docs = filesIn('/usr/share/doc', (name) => name.endsWith('.gz'), true).filter((f) => path.relative('/usr/share/doc', f).split(path.sep).length === 2);
  for (const f of docs.slice(0, sz.maxDocGz)) copy(f, path.join(tree, 'gz', 'doc', path.relative('/usr/share/doc', f)));
  for (let i = 0; i < sz.copies; i++) copyTree(path.join(samplesDir, 'gzip'), path.join(tree, 'gz', 'samples', `copy-${i}`));
  return missing;
}

/**
 * The 1 GiB zip64 (stored; four big members of real bytes, then many small ones), made by python3 zipfile.
 * The small members are whole text files (samples/src, /usr/share/common-licenses): cutting the DLLs into
 * pieces made members that look like PE images and are truncated, which unstamp rightly refuses (exit 3,
 * the zip left untouched): tree-3's zip64 rows timed that refusal.
 */
function buildZip64(file, work, bytes, samplesDir, log) {
  log(`  ${path.basename(file)}: ${bytes >> 20} MiB zip64 by python3 zipfile (stored, allowZip64)`);
  const script = `
import os, sys, zipfile
out, total, nbig = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
datas = [open(p, 'rb').read() for p in sys.argv[4:4 + nbig]]
texts = [open(p, 'rb').read() for p in sys.argv[4 + nbig:]]
big = max(1, total // 5)   # four big members, each of real bytes repeated
with zipfile.ZipFile(out, 'w', compression=zipfile.ZIP_STORED, allowZip64=True) as z:
    written = 0
    for i in range(4):
        zi = zipfile.ZipInfo(f'data/big{i}.bin', date_time=(2023, 9, 10, 11, 12, 13))
        zi.compress_type = zipfile.ZIP_STORED
        with z.open(zi, 'w', force_zip64=True) as w:
            n = 0
            while n < big:
                d = datas[(i + n) % len(datas)][: big - n]
                w.write(d); n += len(d)
        written += big
    i = 0
    while written < total - (1 << 20):
        d = texts[i % len(texts)]
        zi = zipfile.ZipInfo(f'small/{i // 1000:03d}/f{i:06d}.bin', date_time=(2022, 6, 7, 8, 9, 10))
        z.writestr(zi, d)
        written += len(d) + 100; i += 1
`;
  const py = path.join(work, 'zip64.py');
  writeFileSync(py, script);
  const big = realSources().slice(0, 6);
  const texts = [...filesIn(path.join(samplesDir, 'src'), (n) => n.endsWith('.txt') || n.endsWith('.c')), ...filesIn('/usr/share/common-licenses', () => true)];
  execFileSync(python(), [py, file, String(bytes), String(big.length), ...big, ...texts], { stdio: 'inherit' });
}

/**
 * The 1 GiB PE: a DLL really linked by GNU ld (mingw-w64 gcc -shared --pdb) whose .rdata
 * embeds 1 GiB of real bytes (the runtime DLLs repeated) through .incbin. So it is a
 * linker-made image of that size (sections, relocations, checksum field, CodeView record),
 * not a small image with an overlay appended.
 */
function buildBigPe(dir, work, bytes, log) {
  if (!has('x86_64-w64-mingw32-gcc')) return 'big PE: x86_64-w64-mingw32-gcc missing';
  log(`  big-pe/big.dll: ${bytes >> 20} MiB of real bytes embedded in .rdata, linked by GNU ld with --pdb (takes ~40 s)`);
  const src = path.join(work, 'bigpe');
  mkdirSync(src, { recursive: true });
  const blob = realBlob(path.join(src, 'blob.bin'), bytes, realSources());
  writeFileSync(
    path.join(src, 'big.c'),
    embedSource(blob, '.rdata,\\"dr\\"') + '__declspec(dllexport) const char *bench_blob_start(void) { extern const char bench_blob[]; return bench_blob; }\n',
  );
  mkdirSync(dir, { recursive: true });
  execFileSync('x86_64-w64-mingw32-gcc', ['-O1', '-shared', 'big.c', '-o', path.join(dir, 'big.dll'), `-Wl,--pdb=${path.join(dir, 'big.pdb')}`], { cwd: src });
  rmSync(blob);
  return undefined;
}

/** The old bench's inputs: samples/ar and samples/gzip copied N times; one ar archive of N members made by GNU ar. */
function buildSmall(small, samplesDir, sz, log) {
  log(`  small: ${sz.smallCopies} copies of samples/ar and samples/gzip; a ${sz.arMembers}-member archive (GNU ar rcU)`);
  for (let i = 0; i < sz.smallCopies; i++) {
    copyTree(path.join(samplesDir, 'ar'), path.join(small, 'many', String(i), 'ar'));
    copyTree(path.join(samplesDir, 'gzip'), path.join(small, 'many', String(i), 'gzip'));
  }
  const members = path.join(small, 'members');
  mkdirSync(members, { recursive: true });
  const seed = readdirSync(path.join(samplesDir, 'src')).filter((f) => f.endsWith('.txt') || f.endsWith('.c'));
  const names = [];
  for (let i = 0; i < sz.arMembers; i++) {
    const name = `member_${String(i).padStart(5, '0')}_${seed[i % seed.length]}`;
    copyFileSync(path.join(samplesDir, 'src', seed[i % seed.length]), path.join(members, name));
    names.push(name);
  }
  mkdirSync(path.join(small, 'archive'), { recursive: true });
  // Batches keep the command line short; U: real dates, owners and modes in every header.
  for (let i = 0; i < names.length; i += 2000) execFileSync('ar', ['rcU', path.join(small, 'archive', 'libbig.a'), ...names.slice(i, i + 2000)], { cwd: members });
  rmSync(members, { recursive: true });
}

/**
 * An archive of `n` members made by libarchive (bsdtar --format newc) from an mtree spec: each member
 * one of the tiny real files of samples/src, with its own name, mtime and a build user's owner
 * (uid/gid 1000), as a packager's initramfs or RPM payload has. The spec (not 500,000 files on disk,
 * whose creation and removal take minutes) says what bsdtar archives; the headers and data are bsdtar's.
 * cpio, not ar: a newc header holds the most per-member fields of the archive formats (c_mtime, c_uid,
 * c_gid, c_ino, c_devmajor, c_devminor, c_rdevmajor, c_rdevminor), so this input is about the cost and
 * the memory per field at 500,000 members (4 million fields); the 20,000-member ar is the other shape.
 */
function buildCpio(file, work, samplesDir, n, log) {
  if (!has('bsdtar')) return 'cpio archive: bsdtar missing (apt-get install libarchive-tools)';
  log(`  ${path.basename(file)}: ${n} members (samples/src files), bsdtar --format newc from an mtree spec`);
  const seeds = readdirSync(path.join(samplesDir, 'src'))
    .filter((f) => f.endsWith('.txt') || f.endsWith('.c'))
    .sort()
    .map((f) => path.join(samplesDir, 'src', f));
  const lines = ['#mtree'];
  for (let i = 0; i < n; i++) {
    const name = `./d${String(Math.floor(i / 1000)).padStart(3, '0')}/f${String(i).padStart(6, '0')}.txt`;
    lines.push(`${name} type=file uid=1000 gid=1000 mode=0644 time=${1700000000 + 7 * i}.0 contents=${seeds[i % seeds.length]}`);
  }
  const spec = path.join(work, 'members.mtree');
  writeFileSync(spec, lines.join('\n') + '\n');
  mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('bsdtar', ['-cf', file, '--format', 'newc', `@${spec}`], { stdio: 'inherit' });
  return undefined;
}

export function python() {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * The cached inputs, built if absent. Returns { dir, tree, big, small, missing }.
 * A build that was interrupted has no `complete` marker and is rebuilt from scratch.
 */
export function ensureInputs({ quick, samplesDir, log }) {
  const dir = cacheDir(quick);
  const marker = path.join(dir, 'complete.json');
  if (existsSync(marker)) return { dir, tree: path.join(dir, 'tree'), big: path.join(dir, 'big'), small: path.join(dir, 'small'), ...JSON.parse(readFileSync(marker, 'utf8')), cached: true };
  log(`building the benchmark inputs in ${dir} (cached for later runs; version ${TREE_VERSION})`);
  rmSync(dir, { recursive: true, force: true });
  const work = path.join(dir, 'work');
  mkdirSync(work, { recursive: true });
  const sz = sizes(quick);
  const missing = buildTree(path.join(dir, 'tree'), work, sz, samplesDir, log);
  mkdirSync(path.join(dir, 'big'), { recursive: true });
  buildZip64(path.join(dir, 'big', 'big.zip'), work, sz.bigBytes, samplesDir, log);
  const peMissing = buildBigPe(path.join(dir, 'big', 'pe'), work, sz.bigBytes, log);
  if (peMissing) missing.push(peMissing);
  buildSmall(path.join(dir, 'small'), samplesDir, sz, log);
  const cpioMissing = buildCpio(path.join(dir, 'small', 'cpio', 'members.cpio'), work, samplesDir, sz.cpioMembers, log);
  if (cpioMissing) missing.push(cpioMissing);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(marker, JSON.stringify({ version: TREE_VERSION, quick, missing }));
  return { dir, tree: path.join(dir, 'tree'), big: path.join(dir, 'big'), small: path.join(dir, 'small'), missing, cached: false };
}

/** What a file is, by its first bytes (as unstamp detects, but independently written). */
export function kindOf(file) {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(32);
  const n = readSync(fd, head, 0, 32, 0);
  closeSync(fd);
  const h = head.subarray(0, n);
  const u32be = n >= 4 ? h.readUInt32BE(0) : 0;
  if (h.subarray(0, 2).toString('latin1') === 'MZ') return 'pe';
  if (h.toString('latin1').startsWith('Microsoft C/C++ MSF 7.00')) return 'pdb';
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe, 0xbebafeca].includes(u32be)) return 'macho';
  if (h.toString('latin1').startsWith('!<arch>\n') || h.toString('latin1').startsWith('!<thin>\n')) return 'ar';
  if (h[0] === 0x50 && h[1] === 0x4b) return 'zip';
  if (h[0] === 0x1f && h[1] === 0x8b) return 'gzip';
  // COFF objects (and anything else) the table lists as "other".
  return 'other';
}

/** Every regular file under dir with its kind and size. */
export function inventory(dir) {
  const out = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath ?? e.path, e.name);
    out.push({ path: p, kind: kindOf(p), size: lstatSync(p).size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
