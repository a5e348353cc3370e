// `npm run build:sea`: the single executable, run where there is no Node.js and no
// node_modules, as on a C/C++ build machine.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root, samples, tempDir } from './helpers.js';

const variables = process.config.variables as Record<string, unknown>;
const unsupported = variables.single_executable_application === false || variables.node_shared === true;

t.test('the single executable runs with no node on PATH and no node_modules', { skip: unsupported && 'this node cannot make single executables' }, async (t) => {
  const dir = tempDir(t);
  const exe = path.join(dir, process.platform === 'win32' ? 'unstamp.exe' : 'unstamp');
  const started = process.hrtime.bigint();
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-sea.mjs'), '--out', exe], { env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' });
  t.equal(build.status, 0, `build-sea: ${build.stderr}`);
  t.comment(`single executable built in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  t.same(readdirSync(dir), [path.basename(exe)], 'the folder holds the executable alone');

  // PATH leads nowhere: a `node` looked up by name, or a module outside the file, would fail.
  const env = { PATH: '/nonexistent', HOME: dir };
  const run = (args: string[]) => spawnSync(exe, args, { cwd: dir, env, encoding: 'utf8' });
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const v = run(['--version']);
  t.equal(v.stdout, `${version}\n`, '--version');
  t.equal(v.stderr, '', 'no experimental-feature warning');

  for (const set of ['ar/gnu', 'pe/lld-exe']) cpSync(path.join(samples, set), path.join(dir, set), { recursive: true });
  // explain <a> <b> loads the diff modules lazily: they must be inside the bundle.
  const before = run(['explain', 'pe/lld-exe/a', 'pe/lld-exe/b']);
  t.equal(before.status, 0, 'explain: identical after normalization');
  t.match(before.stdout, /^same after +app\.exe +\[pe, 2560 bytes\]: identical after normalization; 2 fields differ, all fixed by unstamp$/m);

  const r = run(['ar', 'pe']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^unstamp: 6 files scanned .*, 6 normalized, 0 already clean, 0 skipped, 0 failed/m);
  for (const f of ['ar/gnu/%s/libdemo.a', 'pe/lld-exe/%s/app.exe', 'pe/lld-exe/%s/app.pdb']) {
    const [a, b] = ['a', 'b'].map((side) => readFileSync(path.join(dir, f.replace('%s', side))));
    t.ok(a.equals(b), `${f.replace('%s', '{a,b}')}: byte-identical`);
  }
  t.equal(run(['check', 'ar', 'pe']).status, 0, 'check: nothing left to change');
  t.equal(run(['--no-such-option']).status, 2, 'a usage error still exits 2');
});
