// samples/cmake/Unstamp.cmake in a real CMake build: samples/cmake/example built twice at
// different times, with and without unstamp, natively, with mingw-w64 and with clang-cl/lld-link.
import t from 'tap';
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bin, cli, have, output, root, samples, tempDir } from '../helpers.js';

const example = path.join(samples, 'cmake', 'example');
const prefix = '/opt/unstamp-example';
const useFaketime = have('faketime');

if (!existsSync(path.join(root, 'dist', 'bundle', 'cli.js'))) {
  // bin/unstamp.js runs dist/bundle/; `npm test` builds it first (pretest), a lone `npx tap` may not have.
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed: ${r.stdout}${r.stderr}`);
}

/** Tools missing for a part of the test, as the skip reason (false when all are there). */
function missing(tools: string[]): string | false {
  const absent = tools.filter((tool) => !have(tool));
  return absent.length ? `not installed: ${absent.join(', ')}` : false;
}

interface Step {
  code: number;
  log: string;
}

interface BuildOptions {
  /** A fresh directory: <dir>/build is the build tree, <dir>/stage the DESTDIR. */
  dir: string;
  /** A libfaketime spec for every step (e.g. "+1d"), used when faketime is installed. */
  clock: string;
  unstamp: boolean;
  /** -D definitions besides EXAMPLE_UNSTAMP and CMAKE_INSTALL_PREFIX. */
  defs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Stop after this step (default: install). */
  until?: 'configure' | 'build' | 'install';
  /** Called between build and install. */
  beforeInstall?: (stage: string) => void;
}

interface Build {
  build: string;
  stage: string;
  /** The installed tree: DESTDIR + prefix. */
  installed: string;
  configure: Step;
  make?: Step;
  install?: Step;
}

function step(args: string[], env: NodeJS.ProcessEnv, clock: string): Step {
  const [cmd, argv] = useFaketime ? ['faketime', ['-f', clock, 'cmake', ...args]] : ['cmake', args];
  const r = spawnSync(cmd, argv, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, log: `$ cmake ${args.join(' ')}\n${r.stdout}${r.stderr}${r.error ?? ''}` };
}

/** configure, build, install (DESTDIR=<dir>/stage) the example; returns every step's log. */
function cmakeBuild(o: BuildOptions): Build {
  const build = path.join(o.dir, 'build');
  const stage = path.join(o.dir, 'stage');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '', // tap's loader is not for the unstamp child
    SOURCE_DATE_EPOCH: undefined,
    UNSTAMP_COMMAND: undefined,
    DESTDIR: undefined,
    MAKEFLAGS: undefined,
    MFLAGS: undefined,
    CMAKE_GENERATOR: undefined,
    ...o.env,
  };
  const defs = [`-DEXAMPLE_UNSTAMP=${o.unstamp ? 'ON' : 'OFF'}`, `-DCMAKE_INSTALL_PREFIX=${prefix}`, ...(o.defs ?? [])];
  const b: Build = { build, stage, installed: path.join(stage, prefix), configure: { code: -1, log: '' } };
  b.configure = step(['-S', example, '-B', build, '-G', 'Unix Makefiles', ...defs], env, o.clock);
  if (b.configure.code !== 0 || o.until === 'configure') return b;
  b.make = step(['--build', build], env, o.clock);
  if (b.make.code !== 0 || o.until === 'build') return b;
  o.beforeInstall?.(stage);
  b.install = step(['--install', build], { ...env, DESTDIR: stage }, o.clock);
  return b;
}

/** cmakeBuild that must succeed. */
function mustBuild(o: BuildOptions): Build {
  const b = cmakeBuild(o);
  for (const s of [b.configure, b.make, b.install]) {
    if (s && s.code !== 0) throw new Error(`build in ${o.dir} failed:\n${s.log}`);
  }
  return b;
}

/**
 * Build A, then B, at different times: with faketime the clocks are days apart; either way at
 * least 1.1 s of real time passes between them (file mtimes, which ar U and gzip store, are real).
 */
async function twice(
  dir: string,
  name: string,
  o: Omit<BuildOptions, 'dir' | 'clock'>,
  sameDir = false,
): Promise<[Build, Build]> {
  const builds: Build[] = [];
  let started = 0;
  for (const [side, clock] of [
    ['a', '+1d'],
    ['b', '+40d'],
  ] as const) {
    const wait = started + 1100 - Date.now();
    if (started && wait > 0) await sleep(wait);
    started = Date.now();
    const target = path.join(dir, `${name}-${side}`);
    if (!sameDir) {
      builds.push(mustBuild({ ...o, dir: target, clock }));
      continue;
    }
    // Same build path both times (a PDB records the absolute object paths): build, then move it away.
    const work = path.join(dir, `${name}-work`);
    const built = mustBuild({ ...o, dir: work, clock });
    renameSync(work, target);
    builds.push({ ...built, build: path.join(target, 'build'), stage: path.join(target, 'stage'), installed: path.join(target, 'stage', prefix) });
  }
  return builds as [Build, Build];
}

/** Relative paths of the regular files under dir, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const same = (a: string, b: string): boolean => readFileSync(a).equals(readFileSync(b));

/** The two builds' copies of each file are byte-identical (or, with differ, all differ). */
function compare(t: Test, a: Build, b: Build, rel: string[], expect: 'same' | 'differ'): void {
  for (const r of rel) {
    const fa = path.join(a.build, r);
    const fb = path.join(b.build, r);
    const eq = same(fa, fb);
    if (expect === 'same') t.ok(eq, `${r}: byte-identical in both builds (${readFileSync(fa).length} bytes)`);
    else t.notOk(eq, `${r}: differs between the builds without unstamp`);
  }
}

/** The installed trees hold the same files with the same bytes. */
function sameTree(t: Test, a: Build, b: Build, expected: string[]): void {
  t.same(files(a.installed), expected.sort(), 'installed files');
  t.same(files(b.installed), files(a.installed), 'both builds install the same files');
  for (const r of files(a.installed)) t.ok(same(path.join(a.installed, r), path.join(b.installed, r)), `installed ${r}: byte-identical`);
}

const unstampCommand = `"${process.execPath}" "${bin}"`;
const unstampList = `-DUNSTAMP_COMMAND=${process.execPath};${bin}`;

/** `ar t` (binutils, not unstamp's parser) lists the members. */
function arMembers(file: string): string[] {
  return output('ar', ['t', file]).trim().split('\n');
}

t.test('native: static library with ar qcU / ranlib -U, and the install tree', { skip: missing(['cmake', 'make', 'cc', 'ar', 'nm', 'gzip']) }, async (t) => {
  const dir = tempDir(t, 'unstamp-cmake-');
  const env = { UNSTAMP_COMMAND: unstampCommand }; // the environment variable, split like a command line
  const outputs = ['libdemo.a', 'notes.txt.gz'];

  const [rawA, rawB] = await twice(dir, 'raw', { unstamp: false, env });
  compare(t, rawA, rawB, outputs, 'differ');
  t.notOk(same(path.join(rawA.installed, 'lib/libdemo.a'), path.join(rawB.installed, 'lib/libdemo.a')), 'installed archives differ too');

  const [a, b] = await twice(dir, 'unstamp', { unstamp: true, env });
  t.match(a.make?.log, /normalized +\S+libdemo\.a +\[ar\]/, 'the POST_BUILD step ran unstamp on the archive');
  compare(t, a, b, ['libdemo.a'], 'same');
  compare(t, a, b, ['notes.txt.gz'], 'differ'); // not a target: only the install step normalizes it
  t.match(a.install?.log, new RegExp(`unstamp: ${a.installed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`), 'install step names DESTDIR + prefix');
  sameTree(t, a, b, ['lib/libdemo.a', 'share/doc/unstamp-example/notes.txt.gz']);

  t.same(arMembers(path.join(a.build, 'libdemo.a')), ['add.c.o', 'scale.c.o'], 'ar t lists the members');
  t.match(output('nm', [path.join(a.build, 'libdemo.a')]), /T demo_scale/, 'nm reads the objects');
  t.equal(
    output('gzip', ['-dc', path.join(a.installed, 'share/doc/unstamp-example/notes.txt.gz')]),
    readFileSync(path.join(example, 'notes.txt'), 'utf8'),
    'gzip -dc gives the text back',
  );
  t.equal(cli(['check', path.join(a.build, 'libdemo.a'), a.installed]).code, 0, 'unstamp check: nothing left to change');
  t.equal(cli(['check', path.join(rawA.build, 'libdemo.a')]).code, 1, 'unstamp check finds the raw archive');
});

t.test('a failing unstamp fails the build step and the install step', { skip: missing(['cmake', 'make', 'cc', 'ar']) }, async (t) => {
  const dir = tempDir(t, 'unstamp-cmake-');

  // Exit 3, as unstamp does when a file fails.
  const exit3 = cmakeBuild({
    dir: path.join(dir, 'exit3'),
    clock: '+1d',
    unstamp: true,
    defs: [`-DUNSTAMP_COMMAND=${process.execPath};-e;process.exit(3)`],
  });
  t.equal(exit3.configure.code, 0, 'configure ok');
  t.not(exit3.make?.code, 0, 'cmake --build fails');
  t.match(exit3.make?.log, /unstamp failed \(3\)/);
  t.equal(exit3.install, undefined);

  const absent = cmakeBuild({ dir: path.join(dir, 'absent'), clock: '+1d', unstamp: true, env: { UNSTAMP_COMMAND: '/nonexistent/unstamp --quiet' } });
  t.not(absent.make?.code, 0, 'a command that does not exist fails the build too');
  t.match(absent.make?.log, /unstamp failed \(.+\): \/nonexistent\/unstamp --quiet\s/);

  // The real unstamp, and an installed tree holding a file it must refuse: the install fails.
  const bad = cmakeBuild({
    dir: path.join(dir, 'bad'),
    clock: '+1d',
    unstamp: true,
    defs: [unstampList],
    beforeInstall: (stage) => {
      mkdirSync(path.join(stage, prefix, 'lib'), { recursive: true });
      writeFileSync(path.join(stage, prefix, 'lib', 'corrupt.a'), '!<arch>\nnot a member header at all, 60 bytes would be needed here\n');
    },
  });
  t.equal(bad.make?.code, 0, 'build ok');
  t.not(bad.install?.code, 0, 'cmake --install fails');
  t.match(bad.install?.log, /corrupt\.a: .*left untouched/);
  t.match(bad.install?.log, /unstamp failed \(3\) on\s/);
});

t.test('mingw-w64: static library of COFF objects and a DLL with its import library', { skip: missing(['cmake', 'make', 'x86_64-w64-mingw32-gcc', 'ar', 'gzip', 'llvm-readobj']) }, async (t) => {
  const dir = tempDir(t, 'unstamp-cmake-');
  // The CMake variable this time, as a list.
  const o = { defs: [unstampList, `-DCMAKE_TOOLCHAIN_FILE=${path.join(example, 'mingw-w64.cmake')}`] };
  const outputs = ['libdemo.a', 'libdemodll.dll', 'libdemodll.dll.a'];

  const [rawA, rawB] = await twice(dir, 'raw', { ...o, unstamp: false });
  compare(t, rawA, rawB, ['libdemo.a', 'libdemodll.dll', 'notes.txt.gz'], 'differ');

  const [a, b] = await twice(dir, 'unstamp', { ...o, unstamp: true });
  t.match(a.make?.log, /normalized +\S+libdemodll\.dll +\[pe\]/, 'the POST_BUILD step ran unstamp on the DLL');
  compare(t, a, b, outputs, 'same');
  sameTree(t, a, b, ['bin/libdemodll.dll', 'lib/libdemo.a', 'lib/libdemodll.dll.a', 'share/doc/unstamp-example/notes.txt.gz']);

  t.same(arMembers(path.join(a.build, 'libdemo.a')), ['add.c.obj', 'scale.c.obj'], 'ar t lists the members');
  const dll = path.join(a.build, 'libdemodll.dll');
  const headers = output('llvm-readobj', ['--file-headers', dll]);
  t.match(headers, /Machine: IMAGE_FILE_MACHINE_AMD64/, 'llvm-readobj reads the DLL');
  t.equal(headers, output('llvm-readobj', ['--file-headers', path.join(b.build, 'libdemodll.dll')]).replaceAll(b.build, a.build));
  const exports = output('llvm-readobj', ['--coff-exports', dll]);
  t.match(exports, /Name: demodll_sum3/);
  t.match(exports, /Name: demodll_triple/);
  t.equal(cli(['check', ...outputs.map((r) => path.join(a.build, r)), a.installed]).code, 0, 'unstamp check: nothing left to change');
});

t.test('clang-cl + lld-link (MSVC-style): the DLL and its PDB normalized together, import library too', { skip: missing(['cmake', 'make', 'clang', 'lld-link', 'llvm-lib', 'llvm-mt', 'llvm-rc', 'llvm-readobj', 'llvm-pdbutil']) }, async (t) => {
  const dir = tempDir(t, 'unstamp-cmake-');
  // No Windows SDK here: a freestanding DLL (no CRT, no entry point), as samples/pe does.
  const clangCl = path.join(dir, 'clang-cl');
  symlinkSync(output('sh', ['-c', 'command -v clang']).trim(), clangCl);
  const toolchain = path.join(dir, 'clang-cl.cmake');
  writeFileSync(
    toolchain,
    [
      'set(CMAKE_SYSTEM_NAME Windows)',
      'set(CMAKE_SYSTEM_PROCESSOR AMD64)',
      `set(CMAKE_C_COMPILER "${clangCl}")`,
      'set(CMAKE_C_COMPILER_TARGET x86_64-pc-windows-msvc)',
      'set(CMAKE_C_COMPILER_WORKS 1)',
      'set(CMAKE_LINKER lld-link)',
      'set(CMAKE_AR llvm-lib)',
      'set(CMAKE_MT llvm-mt)',
      'set(CMAKE_RC_COMPILER llvm-rc)',
      'set(CMAKE_C_STANDARD_LIBRARIES "" CACHE STRING "")',
      'set(CMAKE_SHARED_LINKER_FLAGS_INIT "/nodefaultlib /noentry")',
      '',
    ].join('\n'),
  );
  const defs = [unstampList, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, '-DCMAKE_BUILD_TYPE=RelWithDebInfo'];

  const [rawA, rawB] = await twice(dir, 'raw', { defs, unstamp: false }, true);
  compare(t, rawA, rawB, ['demo.lib', 'demodll.dll'], 'differ');

  const [a, b] = await twice(dir, 'unstamp', { defs, unstamp: true }, true);
  t.match(a.make?.log, /normalized +\S+demodll\.pdb +\[pdb\]/, 'the PDB was in the same run as its DLL');
  const outputs = ['demo.lib', 'demodll.dll', 'demodll.pdb', 'demodll.lib'];
  compare(t, a, b, outputs, 'same');

  // The DLL still names its PDB: same GUID, age and signature on both sides.
  const debug = output('llvm-readobj', ['--coff-debug-directory', path.join(a.build, 'demodll.dll')]);
  const bytes = /PDBGUID: \(([0-9A-F ]+)\)/.exec(debug)?.[1].split(' ') ?? [];
  t.equal(bytes.length, 16, 'CodeView GUID');
  const guid = `{${[3, 2, 1, 0].map((i) => bytes[i]).join('')}-${bytes[5]}${bytes[4]}-${bytes[7]}${bytes[6]}-${bytes.slice(8, 10).join('')}-${bytes.slice(10).join('')}}`;
  const summary = output('llvm-pdbutil', ['dump', '-summary', path.join(a.build, 'demodll.pdb')]);
  t.match(summary, `GUID: ${guid}`, 'the PDB has the DLL GUID');
  const stamp = /TimeDateStamp: .* \(0x([0-9A-F]+)\)/.exec(output('llvm-readobj', ['--file-headers', path.join(a.build, 'demodll.dll')]))?.[1];
  t.match(summary, `Signature: ${parseInt(stamp ?? 'x', 16)}`, 'and its TimeDateStamp as signature');
  t.match(debug, /PDBAge: 1/);
  t.match(summary, /Age: 1/);
  t.equal(cli(['check', ...outputs.map((r) => path.join(a.build, r))]).code, 0, 'unstamp check: nothing left to change');

  // Release links without /debug: there is no PDB, and the step must not ask for one.
  const release = mustBuild({ dir: path.join(dir, 'release'), clock: '+1d', unstamp: true, defs: [unstampList, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, '-DCMAKE_BUILD_TYPE=Release'], until: 'build' });
  t.notOk(existsSync(path.join(release.build, 'demodll.pdb')), 'no PDB in Release');
  t.match(release.make?.log, /normalized +\S+demodll\.dll +\[pe\]/, 'the DLL alone was normalized');
});
