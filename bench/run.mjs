#!/usr/bin/env node
// unstamp's benchmark (issues 7 and 17): `npm run bench` prints one table from one run.
//   --quick (or BENCH_QUICK=1)   a small tree (~55 MB) and 64 MiB "big" files, to smoke-test this script
//   --profile                    also profile one normalize run of the tree (node --cpu-prof) and summarize it
//   --profile-only               only the profile
//   --parts                      also time each part of the tree alone (pe/runtime, lib/mingw, java, ...)
//   --repeat N (BENCH_REPEAT)    time every row N times, each on a fresh copy, and keep the fastest
//   DUCIBLE=/path/to/ducible     add the ducible row: a ducible you built from its public source (the
//                                benchmark never builds, fetches or ships it)
//   UNSTAMP_BENCH_CACHE=dir      where the inputs are cached (default $TMPDIR/unstamp-bench-cache)
// Nothing is asserted: the table says for each row whether its target is met.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInputs, inventory, python, cacheDir, sizes, TREE_VERSION } from './tree.mjs';
import { summarize } from './profile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'unstamp.js');
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const quick = flag('--quick') || process.env.BENCH_QUICK === '1';
const profileOnly = flag('--profile-only');
const profile = flag('--profile') || profileOnly;
const repeatAt = argv.indexOf('--repeat');
const repeat = Math.max(1, Number(repeatAt >= 0 ? argv[repeatAt + 1] : (process.env.BENCH_REPEAT ?? 1)) || 1);
const log = (s) => process.stderr.write(`${s}\n`);

const MB = 1e6;
// The issue 17 targets, as bounds on unstamp/reference (or on unstamp's own peak RSS in MB).
const T = { snd: 0.1, floor: 1.3, ducible: 1.0, rss: 100, check: 0.9, start: 1.5, bigPe: 1.5 };
const sndTarget = { max: T.snd, targetText: `<= ${T.snd.toFixed(2)} (${Math.round(1 / T.snd)}x faster)` };
const rssTarget = { unit: 'MB', max: T.rss, maxOf: 'value', targetText: `<= ${T.rss} MB` };
const mb = (n) => (n / MB).toFixed(1);
const secs = (s) => `${s.toFixed(2)} s`;

function has(tool) {
  return spawnSync('sh', ['-c', `command -v "${tool}"`], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------- inputs and copies
const inputs = ensureInputs({ quick, samplesDir: path.join(root, 'samples'), log });
const base = path.dirname(cacheDir(quick));
const work = mkdtempSync(path.join(base, 'run-'));
// unstamp's code cache (README "Start-up"): a folder of this run's own, unless one is given,
// written by the first unstamp run and used by the others, as a user's would be.
process.env.UNSTAMP_CACHE_DIR ??= path.join(work, 'code-cache');
let copies = 0;

/** A fresh copy of `from` (not timed): cp -a --reflink=auto, so never hard links to the cache. */
function fresh(from, name = path.basename(from)) {
  const to = path.join(work, `${copies++}-${name}`);
  execFileSync('cp', ['-a', '--reflink=auto', from, to]);
  return to;
}
const drop = (dir) => rmSync(dir, { recursive: true, force: true });

/** Copy the listed files (relative to `from`) into a new folder, keeping their relative paths. */
function subset(from, rel, name) {
  const to = path.join(work, `${copies++}-${name}`);
  for (const r of rel) {
    mkdirSync(path.dirname(path.join(to, r)), { recursive: true });
    execFileSync('cp', ['-a', '--reflink=auto', path.join(from, r), path.join(to, r)]);
  }
  return to;
}

/** How many of the files (relative paths) differ between `dir` and the cached tree: did the tool really work? */
function changed(dir, rel, from = inputs.tree) {
  let n = 0;
  for (const r of rel) if (!readFileSync(path.join(dir, r)).equals(readFileSync(path.join(from, r)))) n++;
  return n;
}

/** Run a command, wall time with process start. */
function timed(cmd, args, opts = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.error) throw r.error;
  return { seconds, code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs of each command in the process-start rows. */
const START_RUNS = 21;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Best of `repeat` runs; `setup()` makes the fresh input of each run, `cleanup` removes it. */
function best(setup, measure, cleanup = drop) {
  let out;
  for (let i = 0; i < repeat; i++) {
    const input = setup();
    const r = measure(input);
    if (!out || r.seconds < out.seconds) out = r;
    if (cleanup) cleanup(input);
  }
  return out;
}

const problems = [];
// strip-nondeterminism ships its ar normalizer disabled; +ar turns it on, so it does what unstamp does to ar.
const SND = ['-T', '0', '--normalizers', '+ar'];
/** unstamp as a user runs it: one process, process start included. */
function unstamp(args, { expect = [0], what = 'unstamp', env } = {}) {
  const r = timed(process.execPath, [cli, '-q', ...args], env ? { env: { ...process.env, ...env } } : {});
  if (!expect.includes(r.code)) {
    const first = (r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' | ');
    problems.push(`${what}: exit ${r.code}${first ? `: ${first}` : ''}`);
  }
  return r;
}

/** Run `cmd fixed... files...` in `cwd` as ONE process if the list fits on a command line, else via xargs in big batches. */
function overFiles(cmd, fixed, files, cwd) {
  const len = files.reduce((n, f) => n + f.length + 1, 0);
  if (len < 1_500_000) return { ...timed(cmd, [...fixed, ...files], { cwd }), processes: 1 };
  const r = timed('xargs', ['-0', '-s', '1800000', cmd, ...fixed], { cwd, input: files.join('\0') });
  return { ...r, processes: Math.ceil(len / 1_700_000) };
}

/** Peak RSS in MB of a command, from /usr/bin/time -v. */
function peakRss(cmd, args) {
  const r = timed('/usr/bin/time', ['-v', cmd, ...args]);
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
  return { ...r, rssMB: (kb * 1024) / MB };
}

/** unstamp under /usr/bin/time -v (a plain run unless `quiet`); an exit other than 0 is a problem, since the row then times a refusal. */
function unstampRss(args, what, { quiet = false } = {}) {
  const r = peakRss(process.execPath, [cli, ...(quiet ? ['-q'] : []), ...args]);
  if (r.code !== 0) {
    const first = r.stderr.split('\n').find((l) => l.trim() && !/^\t|Command (being timed|exited)/.test(l)) ?? '';
    problems.push(`${what}: exit ${r.code}: ${first.trim().slice(0, 240)}`);
  }
  return r;
}

// ---------------------------------------------------------------- fields (not timed)
/**
 * The fields unstamp plans in each file of `from`, from one untimed `unstamp check --json` of a fresh
 * copy (check writes nothing; the report counts every field of every file, clean ones too, with
 * fieldsOmitted for what it leaves out of the list). A Map from the path relative to `from` to
 * { total, changed }; empty when the report cannot be read (the fields column then shows "-").
 */
function fieldCensus(from, name) {
  const d = fresh(from, `census-${name}`);
  const out = path.join(work, `census-${name}.json`);
  const fd = openSync(out, 'w');
  try {
    spawnSync(process.execPath, [cli, 'check', '--json', d], { stdio: ['ignore', fd, 'ignore'] });
  } finally {
    closeSync(fd);
  }
  const by = new Map();
  try {
    for (const f of JSON.parse(readFileSync(out, 'utf8')).files ?? []) {
      by.set(path.relative(d, f.path), { total: (f.fields?.length ?? 0) + (f.fieldsOmitted ?? 0), changed: f.fieldsChanged ?? 0 });
    }
  } catch (e) {
    notes.push(`field census of ${name}: the --json report could not be read (${e.message})`);
  }
  drop(d);
  rmSync(out, { force: true });
  return by;
}

/** The fields of the listed files (relative paths) by the census; undefined if the census has none of them. */
function fieldsOf(census, rel) {
  let total = 0;
  let changed = 0;
  let seen = 0;
  for (const r of rel) {
    const c = census.get(r);
    if (!c) continue;
    seen++;
    total += c.total;
    changed += c.changed;
  }
  return seen ? { total, changed } : undefined;
}

/** The fields of a one-file run, from its own "[fmt] N of M fields" line (a plain run, not -q); undefined if absent. */
function fieldsFromOutput(text) {
  const m = /\] (\d+) of (\d+) fields/.exec(text ?? '');
  return m ? { total: Number(m[2]), changed: Number(m[1]) } : undefined;
}

// ---------------------------------------------------------------- the table
const rows = [];
const notes = [];
/**
 * One row: unstamp's figure, the reference's, ratio = unstamp / reference, and the target
 * as a bound on that ratio (or on unstamp's own figure for memory).
 */
function row(what, u, ref, { unit = 's', max, maxOf = 'ratio', targetText, fields } = {}) {
  const fmt = (v) => (v === undefined ? '-' : typeof v === 'string' ? v : unit === 's' ? secs(v) : `${v.toFixed(0)} MB`);
  const ratio = typeof u === 'number' && typeof ref === 'number' && ref > 0 ? u / ref : undefined;
  const subject = maxOf === 'ratio' ? ratio : typeof u === 'number' ? u : undefined;
  const met = max === undefined ? '-' : subject === undefined ? 'n/a' : subject <= max ? 'met' : 'NOT met';
  rows.push([what, fmt(u), fmt(ref), ratio === undefined ? '-' : ratio.toFixed(2), targetText ?? (max === undefined ? 'info' : `<= ${max}`), met, fieldsText(fields, u, unit)]);
}

/** "4,000,010 (80k/s)": the fields unstamp plans in a row's input, and how many it gets through per second of the row's time. */
function fieldsText(fields, seconds, unit) {
  if (!fields) return '-';
  const n = fields.total.toLocaleString('en-US');
  if (unit !== 's' || typeof seconds !== 'number' || seconds <= 0) return n;
  const rate = fields.total / seconds;
  return `${n} (${rate >= 1e6 ? `${(rate / 1e6).toFixed(1)}M` : `${Math.round(rate / 1e3)}k`}/s)`;
}

function printTable() {
  const head = ['what', 'unstamp', 'reference', 'unstamp/ref', 'target', 'met', 'fields (unstamp/s)'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 || i === 4 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 0 || i === 4 ? ':' + '-'.repeat(n + 1) : '-'.repeat(n + 1) + ':')).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

// ---------------------------------------------------------------- machine facts
function facts() {
  const cpus = os.cpus();
  const snd = has('strip-nondeterminism') ? execFileSync('strip-nondeterminism', ['--version'], { encoding: 'utf8' }).trim() : 'not installed';
  const fsType = spawnSync('stat', ['-f', '-c', '%T', base], { encoding: 'utf8' }).stdout.trim();
  const duc = process.env.DUCIBLE ? spawnSync(process.env.DUCIBLE, ['--version'], { encoding: 'utf8' }) : undefined;
  const ducible = duc ? (duc.status === 0 ? `ducible ${duc.stdout.trim()}` : `ducible: ${process.env.DUCIBLE} does not run (${duc.error?.message ?? `exit ${duc.status}`})`) : 'ducible: not provided';
  return [
    `machine: ${os.availableParallelism()} cores (${cpus[0]?.model?.trim() ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`,
    `node ${process.version}; ${snd}; ${ducible}; inputs ${TREE_VERSION}${quick ? ' (--quick)' : ''} cached in ${path.dirname(inputs.tree)} (${fsType})${inputs.cached ? '' : ', built by this run'}`,
    `load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${repeat > 1 ? `; every row the best of ${repeat} runs` : '; every row one run'}`,
  ];
}

function composition(files) {
  const by = new Map();
  for (const f of files) {
    const k = by.get(f.kind) ?? { files: 0, bytes: 0 };
    k.files++;
    k.bytes += f.size;
    by.set(f.kind, k);
  }
  const label = { pe: 'PE images (EXE/DLL)', pdb: 'PDB', macho: 'Mach-O', ar: 'ar (static/import libraries)', zip: 'zip/jar', gzip: 'gzip', other: 'other (COFF objects, text, ...)' };
  const order = ['pe', 'pdb', 'macho', 'ar', 'zip', 'gzip', 'other'];
  const lines = ['tree composition (by magic bytes):'];
  for (const k of order) if (by.has(k)) lines.push(`  ${label[k].padEnd(32)} ${String(by.get(k).files).padStart(6)} files ${mb(by.get(k).bytes).padStart(9)} MB`);
  const total = files.reduce((n, f) => n + f.size, 0);
  lines.push(`  ${'total'.padEnd(32)} ${String(files.length).padStart(6)} files ${mb(total).padStart(9)} MB`);
  return { lines, total };
}

// ---------------------------------------------------------------- profile
function runProfile() {
  const dir = fresh(inputs.tree, 'profile');
  const profDir = path.join(work, 'cpuprofile');
  const r = timed(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '500', cli, '-q', dir]);
  drop(dir);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  const keep = path.join(base, `last-${quick ? 'quick' : 'full'}.cpuprofile`);
  writeFileSync(keep, readFileSync(path.join(profDir, file)));
  console.log('');
  console.log(`profile of one normalize run of the tree (node --cpu-prof, default jobs, ${secs(r.seconds)} wall, exit ${r.code}); kept in ${keep}`);
  console.log(summarize(JSON.parse(readFileSync(keep, 'utf8')), 15));
}

// ---------------------------------------------------------------- ducible
/** The PDB beside an image with the same stem (app3.exe + app3.pdb, foo.dll + foo.pdb), relative, if the tree has one. */
function pdbOf(image, pdbs) {
  const p = image.replace(/\.[^./]+$/, '.pdb');
  return pdbs.has(p) ? p : undefined;
}

/** Run ducible once per image (with its PDB where there is one), as a post-build step does: one bash loop, timed whole. */
function ducibleLoop(pairs, cwd) {
  const script = 'while [ $# -gt 0 ]; do if [ -n "$2" ]; then "$DUCIBLE" "$1" "$2"; else "$DUCIBLE" "$1"; fi >/dev/null || echo "ducible failed on $1" >&2; shift 2; done';
  return timed('bash', ['-c', script, 'ducible', ...pairs.flatMap(([img, pdb]) => [img, pdb ?? ''])], { cwd });
}

/**
 * The PE + PDB row against ducible. ducible refuses some images whole (GNU ld's PDBs: "Invalid PDB format
 * (got partial file info in DBI stream)"), so an untimed trial on a copy finds the images it takes; the
 * row then times unstamp (one run) and ducible (one process per image) on exactly those images and PDBs,
 * and the notes say what was refused and how many files each tool changed.
 */
function ducibleRow(treeFiles, rel, census) {
  const pdbs = new Set(treeFiles.filter((f) => f.kind === 'pdb').map(rel));
  const all = treeFiles.filter((f) => f.kind === 'pe').map(rel).map((img) => [img, pdbOf(img, pdbs)]);
  const trial = subset(inputs.tree, all.flatMap(([i, p]) => (p ? [i, p] : [i])), 'pe-ducible-trial');
  const refused = new Map();
  const taken = [];
  for (const [img, pdb] of all) {
    const r = spawnSync(process.env.DUCIBLE, pdb ? [img, pdb] : [img], { cwd: trial, encoding: 'utf8' });
    if (r.status === 0) taken.push([img, pdb]);
    else {
      const why = (r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 120);
      refused.set(why, (refused.get(why) ?? 0) + 1);
    }
  }
  drop(trial);
  for (const [why, n] of refused) notes.push(`ducible refused ${n} of ${all.length} images (left out of the ducible row): ${why}`);
  if (!taken.length) {
    row('PE+PDB vs ducible', undefined, 'ducible took no image', { max: T.ducible });
    return;
  }
  const files = taken.flatMap(([i, p]) => (p ? [i, p] : [i]));
  const bytes = files.reduce((n, r) => n + statSync(path.join(inputs.tree, r)).size, 0);
  const withPdb = taken.filter(([, p]) => p).length;
  let uChanged = 0;
  let dChanged = 0;
  const u = best(
    () => subset(inputs.tree, files, 'pe-ducible-u'),
    (d) => {
      const r = unstamp([d], { what: 'unstamp on the PE+PDB ducible takes' });
      uChanged = changed(d, files);
      return r;
    },
  );
  const dr = best(
    () => subset(inputs.tree, files, 'pe-ducible'),
    (d) => {
      const r = ducibleLoop(taken, d);
      if (r.stderr.trim()) problems.push(`ducible: ${r.stderr.trim().split('\n').slice(0, 2).join(' | ')}`);
      dChanged = changed(d, files);
      return r;
    },
  );
  notes.push(`PE+PDB vs ducible row: files changed by unstamp ${uChanged}, by ducible ${dChanged}, of ${files.length} (${taken.length} images, ${withPdb} with their PDB)`);
  row(`PE+PDB that ducible takes (${taken.length} images, ${withPdb} PDBs, ${mb(bytes)} MB) vs ducible, one process per image`, u.seconds, dr.seconds, {
    max: T.ducible,
    fields: fieldsOf(census, files),
  });
}

// ---------------------------------------------------------------- the rows
try {
  const treeFiles = inventory(inputs.tree);
  const rel = (f) => path.relative(inputs.tree, f.path);
  const comp = composition(treeFiles);
  for (const l of facts()) console.log(l);
  for (const l of comp.lines) console.log(l);
  if (!quick && (treeFiles.length < 1500 || comp.total < 300 * MB)) notes.push(`the tree is smaller than issue 7 asks (>= 1,500 files, >= 300 MB): install what the notes below name`);
  for (const m of inputs.missing ?? []) notes.push(`left out: ${m}`);
  console.log('');

  if (profileOnly) {
    runProfile();
  } else {
    // 0. How many fields each file holds, by one untimed `check --json` (the fields column).
    const census = fieldCensus(inputs.tree, 'tree');
    const treeFields = fieldsOf(census, treeFiles.map(rel));

    // 1. unstamp vs strip-nondeterminism on the formats both handle, by the names strip-nondeterminism takes.
    const sndName = { ar: /\.a$/, zip: /\.(jar|war|apk|zip|whl|epub|xpi)$/, gzip: /\.(gz|dz)$/ };
    const common = treeFiles.filter((f) => sndName[f.kind]?.test(f.path)).map(rel);
    const commonBytes = treeFiles.filter((f) => sndName[f.kind]?.test(f.path)).reduce((n, f) => n + f.size, 0);
    const kinds = ['ar', 'zip', 'gzip'].map((k) => `${treeFiles.filter((f) => f.kind === k && sndName[k].test(f.path)).length} ${k}`).join(', ');
    let uChanged = 0;
    let sChanged = 0;
    const uCommon = best(
      () => subset(inputs.tree, common, 'common'),
      (d) => {
        const r = unstamp([d], { what: 'unstamp on ar/zip/gzip' });
        uChanged = changed(d, common);
        return r;
      },
    );
    if (has('strip-nondeterminism')) {
      let procs = 1;
      const sCommon = best(
        () => subset(inputs.tree, common, 'common-snd'),
        (d) => {
          const r = overFiles('strip-nondeterminism', SND, common, d);
          procs = r.processes;
          sChanged = changed(d, common);
          if (r.code !== 0) problems.push(`strip-nondeterminism: exit ${r.code}: ${r.stderr.trim().split('\n').slice(0, 2).join(' | ')}`);
          return r;
        },
      );
      notes.push(`ar+jar/zip+gzip row: files changed by unstamp ${uChanged}, by strip-nondeterminism ${sChanged}, of ${common.length}`);
      row(`ar+jar/zip+gzip (${kinds}; ${mb(commonBytes)} MB) vs strip-nondeterminism -T 0 --normalizers +ar, ${procs} process`, uCommon.seconds, sCommon.seconds, {
        ...sndTarget,
        fields: fieldsOf(census, common),
      });
    } else {
      row('ar+jar/zip+gzip vs strip-nondeterminism', uCommon.seconds, 'not installed', { ...sndTarget, fields: fieldsOf(census, common) });
      notes.push('strip-nondeterminism: not installed (apt-get install strip-nondeterminism)');
    }

    // 2. The whole tree vs the read floor: sha256sum of the files that must be hashed whole, head+tail of the rest.
    const hashed = treeFiles.filter((f) => ['pe', 'pdb', 'macho'].includes(f.kind));
    const rest = treeFiles.filter((f) => !['pe', 'pdb', 'macho'].includes(f.kind));
    const hashedBytes = hashed.reduce((n, f) => n + f.size, 0);
    const reader = path.join(work, 'headtail.py');
    writeFileSync(
      reader,
      [
        'import os, sys',
        'W = 64 * 1024',
        'for name in sys.stdin.buffer.read().split(b"\\0"):',
        '    if not name: continue',
        '    fd = os.open(name, os.O_RDONLY)',
        '    size = os.fstat(fd).st_size',
        '    os.pread(fd, W, 0)',
        '    if size > W: os.pread(fd, W, max(W, size - W))',
        '    os.close(fd)',
        '',
      ].join('\n'),
    );
    let floorParts;
    const floor = best(
      () => fresh(inputs.tree, 'floor'),
      (d) => {
        const sha = overFiles('sha256sum', [], hashed.map(rel), d);
        if (sha.code !== 0) problems.push(`sha256sum: exit ${sha.code}`);
        const ht = timed(python(), [reader], { cwd: d, input: rest.map(rel).join('\0') });
        if (ht.code !== 0) problems.push(`head/tail reader: exit ${ht.code}: ${ht.stderr.trim().split('\n').pop()}`);
        floorParts = { sha: sha.seconds, ht: ht.seconds };
        return { seconds: sha.seconds + ht.seconds };
      },
    );
    let cleanTree;
    const uTree = best(
      () => fresh(inputs.tree, 'tree'),
      (d) => unstamp([d], { what: 'unstamp on the tree' }),
      (d) => {
        if (cleanTree) drop(cleanTree);
        cleanTree = d;
      },
    );
    row(
      `whole tree (${treeFiles.length} files, ${mb(comp.total)} MB), default -j ${Math.max(4, 2 * os.availableParallelism())}, vs read floor: sha256sum of PE/PDB/Mach-O (${hashed.length} files, ${mb(hashedBytes)} MB: ${secs(floorParts.sha)}) + 64 KiB head and tail of the other ${rest.length} (${secs(floorParts.ht)})`,
      uTree.seconds,
      floor.seconds,
      { max: T.floor, fields: treeFields },
    );

    // 2b. The same floor with OpenSSL's SHA-256 (SHA-NI where the CPU has it), which is what Node's crypto uses:
    //     coreutils sha256sum has no such path, so it is the slower of the two floors.
    if (has('openssl')) {
      let parts;
      const fast = best(
        () => fresh(inputs.tree, 'floor-openssl'),
        (d) => {
          const sha = overFiles('openssl', ['dgst', '-sha256'], hashed.map(rel), d);
          if (sha.code !== 0) problems.push(`openssl dgst: exit ${sha.code}`);
          const ht = timed(python(), [reader], { cwd: d, input: rest.map(rel).join('\0') });
          parts = { sha: sha.seconds, ht: ht.seconds };
          return { seconds: sha.seconds + ht.seconds };
        },
      );
      row(`whole tree vs the same floor hashed by openssl dgst -sha256 (${secs(parts.sha)} + ${secs(parts.ht)})`, uTree.seconds, fast.seconds);
    }

    // 3. PE + PDB: vs ducible when DUCIBLE names one (one ducible process per image, with its PDB), and
    //    vs sha256sum of the same files always (ducible MD5-hashes every byte it writes: ~1.1x that floor).
    const peFiles = treeFiles.filter((f) => f.kind === 'pe' || f.kind === 'pdb');
    const peRel = peFiles.map(rel);
    const peBytes = peFiles.reduce((n, f) => n + f.size, 0);
    const uPe = best(() => subset(inputs.tree, peRel, 'pe'), (d) => unstamp([d], { what: 'unstamp on PE+PDB' }));
    const peFloor = best(() => subset(inputs.tree, peRel, 'pe-floor'), (d) => overFiles('sha256sum', [], peRel, d));
    const peWhat = `PE+PDB alone (${peRel.length} files, ${mb(peBytes)} MB)`;
    if (process.env.DUCIBLE) ducibleRow(treeFiles, rel, census);
    else row(`${peWhat} vs ducible`, uPe.seconds, 'ducible: not provided (set DUCIBLE)', { max: T.ducible });
    row(`${peWhat} vs sha256sum of them (ducible hashes all bytes: ~1.1x this)`, uPe.seconds, peFloor.seconds, {
      max: 1.1,
      targetText: '<= 1.1 (proxy)',
      fields: fieldsOf(census, peRel),
    });

    // 3a. Process start: what every row above pays once (node, module loading, the walk of nothing).
    //     Tens of milliseconds, so one run says little: the medians of START_RUNS runs of each,
    //     taken in turn (node, unstamp with its code cache, unstamp with none), so that a busy
    //     moment of the machine falls on all three. The cache is a folder of the row's own,
    //     written by one untimed run on the same folder; "first run" starts from an empty
    //     folder each time, so it compiles the whole CLI and then writes the cache.
    const empty = path.join(work, 'empty');
    mkdirSync(empty);
    const startCache = { UNSTAMP_CACHE_DIR: path.join(work, 'start-cache') };
    unstamp([empty], { what: 'unstamp on an empty folder (writing the code cache)', env: startCache });
    const starts = { node: [], cached: [], first: [] };
    for (let i = 0; i < START_RUNS; i++) {
      starts.node.push(timed(process.execPath, ['-e', '0']).seconds);
      starts.cached.push(unstamp([empty], { what: 'unstamp on an empty folder', env: startCache }).seconds);
      const none = { UNSTAMP_CACHE_DIR: path.join(work, `start-cache-${i}`) };
      starts.first.push(unstamp([empty], { what: 'unstamp on an empty folder, first run', env: none }).seconds);
      drop(none.UNSTAMP_CACHE_DIR);
    }
    const [nodeStart, cachedStart, firstStart] = [starts.node, starts.cached, starts.first].map(median);
    row(`process start: unstamp on an empty folder vs node -e 0 (medians of ${START_RUNS} runs)`, cachedStart, nodeStart, { max: T.start, targetText: `<= ${T.start} (aim)` });
    row('process start, first run (no code cache yet: compiles all, then writes it)', firstStart, nodeStart);

    // 3b. --parts: each top-level part of the tree alone (where the time goes, by format).
    if (flag('--parts')) {
      for (const part of readdirSync(inputs.tree).sort()) {
        for (const sub of readdirSync(path.join(inputs.tree, part)).sort()) {
          const from = path.join(inputs.tree, part, sub);
          if (!statSync(from).isDirectory()) continue;
          const files = treeFiles.filter((f) => f.path.startsWith(from + path.sep));
          const bytes = files.reduce((n, f) => n + f.size, 0);
          const u = best(() => fresh(from, `part-${part}-${sub}`), (d) => unstamp([d], { what: `unstamp on ${part}/${sub}` }));
          row(`part ${part}/${sub} (${files.length} files, ${mb(bytes)} MB): ${((1000 * u.seconds) / Math.max(1, files.length)).toFixed(2)} ms/file`, u.seconds, undefined);
        }
      }
    }

    // 4. -j scaling on the tree.
    const j = {};
    for (const n of [1, 2, 4]) j[n] = best(() => fresh(inputs.tree, `j${n}`), (d) => unstamp(['-j', String(n), d], { what: `unstamp -j ${n}` })).seconds;
    for (const n of [1, 2, 4]) row(`whole tree -j ${n} vs -j 1`, j[n], j[1], { fields: treeFields });

    // 5. check on the already-normalized tree vs normalize.
    const chk = best(() => cleanTree, (d) => unstamp(['check', d], { what: 'check on the normalized tree (1: something would still change)' }), null);
    drop(cleanTree);
    row('check on the already-normalized tree vs normalize of it', chk.seconds, uTree.seconds, { max: T.check, fields: treeFields });

    // 6. Peak RSS: the tree, the 1 GiB zip64, the 1 GiB PE (+PDB); reference: node with unstamp loaded, nothing to do.
    const baseline = peakRss(process.execPath, [cli, 'formats']);
    const big = sizes(quick).bigBytes;
    const gib = big >= 1 << 30 ? '1 GiB' : `${big >> 20} MiB`;
    const rssTree = (() => {
      const d = fresh(inputs.tree, 'rss-tree');
      const r = unstampRss([d], 'unstamp on the tree (peak RSS)', { quiet: true });
      drop(d);
      return r;
    })();
    row('peak RSS, whole tree (ref: node + unstamp loaded, nothing to do)', rssTree.rssMB, baseline.rssMB, { ...rssTarget, fields: treeFields });
    const bigZip = path.join(inputs.big, 'big.zip');
    if (existsSync(bigZip)) {
      const d = fresh(bigZip, 'big.zip');
      const r = unstampRss([d], `unstamp on the ${gib} zip64`);
      const sha = timed('sha256sum', [d]);
      drop(d);
      const fields = fieldsFromOutput(r.stdout);
      row(`peak RSS, ${gib} zip64 (${mb(statSync(bigZip).size)} MB, stored, python3 zipfile)`, r.rssMB, baseline.rssMB, { ...rssTarget, fields });
      row(`time, ${gib} zip64 vs sha256sum of it (its four big members are real DLLs, each planned as a PE image)`, r.seconds, sha.seconds, { fields });
    }
    const bigPe = path.join(inputs.big, 'pe');
    if (existsSync(bigPe)) {
      const d = fresh(bigPe, 'big-pe');
      const r = unstampRss([d], `unstamp on the ${gib} PE + PDB`, { quiet: true });
      const fields = fieldsOf(fieldCensus(bigPe, 'big-pe'), readdirSync(bigPe));
      const sha = timed('sha256sum', readdirSync(d).map((f) => path.join(d, f)));
      drop(d);
      const size = readdirSync(bigPe).reduce((n, f) => n + statSync(path.join(bigPe, f)).size, 0);
      row(`peak RSS, ${gib} PE + PDB (${mb(size)} MB; GNU ld, ${gib} .rdata via .incbin)`, r.rssMB, baseline.rssMB, { ...rssTarget, fields });
      row(`time, ${gib} PE + PDB vs sha256sum of them`, r.seconds, sha.seconds, { max: T.bigPe, fields });
    }

    // 7. Many small files; archives with many members (20,000 ar members; 500,000 cpio members, 4 million fields).
    const sz = sizes(quick);
    const many = path.join(inputs.small, 'many');
    const manyFiles = inventory(many);
    const manyRel = manyFiles.map((f) => path.relative(many, f.path));
    const uMany = best(() => fresh(many, 'many'), (d) => unstamp([d], { what: 'unstamp on many small files' }));
    const sMany = has('strip-nondeterminism') ? best(() => fresh(many, 'many-snd'), (d) => overFiles('strip-nondeterminism', SND, manyRel, d)).seconds : 'not installed';
    const manyFields = fieldsOf(fieldCensus(many, 'many'), manyRel);
    row(`many small files (${sz.smallCopies} copies of samples/ar+gzip: ${manyFiles.length} files) vs strip-nondeterminism`, uMany.seconds, sMany, { ...sndTarget, fields: manyFields });
    const arch = path.join(inputs.small, 'archive');
    const uAr = best(() => fresh(arch, 'archive'), (d) => unstampRss([d], `unstamp on the ${sz.arMembers}-member ar`));
    const arFields = fieldsFromOutput(uAr.stdout);
    const sAr = has('strip-nondeterminism') ? best(() => fresh(arch, 'archive-snd'), (d) => timed('strip-nondeterminism', [...SND, 'libbig.a'], { cwd: d })).seconds : 'not installed';
    row(`${sz.arMembers}-member ar archive (GNU ar rcU) vs strip-nondeterminism`, uAr.seconds, sAr, { ...sndTarget, fields: arFields });
    row(`peak RSS, ${sz.arMembers}-member ar archive`, uAr.rssMB, baseline.rssMB, { ...rssTarget, fields: arFields });
    const cpio = path.join(inputs.small, 'cpio', 'members.cpio');
    if (existsSync(cpio)) {
      const uCpio = best(() => fresh(cpio, 'members.cpio'), (f) => unstampRss([f], `unstamp on the ${sz.cpioMembers}-member cpio`));
      const cpioFields = fieldsFromOutput(uCpio.stdout);
      // The reference reads every header the same way: bsdtar lists the archive (names only, data skipped).
      const list = best(() => cpio, (f) => timed('bsdtar', ['-tf', f], { maxBuffer: 1 << 30 }), null);
      const what = `${sz.cpioMembers}-member cpio archive (${mb(statSync(cpio).size)} MB, bsdtar --format newc)`;
      row(`${what} vs bsdtar -tf of it`, uCpio.seconds, list.seconds, { fields: cpioFields });
      row(`peak RSS, ${what}`, uCpio.rssMB, baseline.rssMB, { ...rssTarget, fields: cpioFields });
    }

    printTable();
    console.log('');
    console.log(`unstamp/ref: the ratio of the two columns (time, or MB); targets are bounds on it, or on unstamp's own MB for memory.`);
    console.log(`load average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (const n of notes) console.log(`note: ${n}`);
    for (const p of problems) console.log(`problem: ${p}`);
    if (profile) runProfile();
  }
} finally {
  drop(work);
}
