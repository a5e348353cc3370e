// samples/conan/hook_unstamp.py, the Conan 2 hook. Conan is not installed here: a small Python
// driver loads the hook the way Conan does (a module from a file) and calls post_build and
// post_package with a minimal conanfile whose output records every message.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bin, cli, root, samples, tempDir } from '../helpers.js';

const python = '/usr/bin/python3';
const hook = path.join(samples, 'conan', 'hook_unstamp.py');

if (!existsSync(path.join(root, 'dist', 'bundle', 'cli.js'))) {
  // bin/unstamp.js runs dist/bundle/; `npm test` builds it first (pretest), a lone `npx tap` may not have.
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed: ${r.stdout}${r.stderr}`);
}

const driver = `
import importlib.util, json, sys, traceback
from types import SimpleNamespace

hook_path, build_folder, package_folder = sys.argv[1], sys.argv[2] or None, sys.argv[3] or None
spec = importlib.util.spec_from_file_location("hook_unstamp", hook_path)
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)

messages = []
class Output:
    def info(self, msg): messages.append(["info", msg])
    def warning(self, msg): messages.append(["warning", msg])
    def error(self, msg): messages.append(["error", msg])

conanfile = SimpleNamespace(build_folder=build_folder, package_folder=package_folder, output=Output())
raised = []
for name in ("post_build", "post_package"):
    try:
        getattr(hook, name)(conanfile)
    except BaseException:
        raised.append(traceback.format_exc())
print(json.dumps({"messages": messages, "raised": raised, "command": hook._command()}))
`;

interface HookRun {
  messages: [level: 'info' | 'warning' | 'error', text: string][];
  raised: string[];
  command: string[];
}

/** Run both hook functions on build/ and package/ folders (or none) with UNSTAMP_COMMAND. */
function runHook(t: { fail(msg: string): void }, folders: { build?: string; pkg?: string }, command: string | undefined): HookRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: undefined, PYTHONDONTWRITEBYTECODE: '1', UNSTAMP_COMMAND: command };
  const r = spawnSync(python, ['-c', driver, hook, folders.build ?? '', folders.pkg ?? ''], { env, encoding: 'utf8' });
  if (r.status !== 0) t.fail(`driver failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as HookRun;
}

const unstamp = `"${process.execPath}" "${bin}"`;

// Real toolchain output: ar, gzip, and a mingw-w64 DLL with its import library and a static library.
const sets = ['ar/gnu', 'gzip/gnu', 'pe/mingw-dll'];

/** folder/<set>/<files of samples/<set>/<side>> for every set. */
function populate(folder: string, side: 'a' | 'b'): string[] {
  const rel: string[] = [];
  for (const set of sets) {
    const dest = path.join(folder, set);
    mkdirSync(dest, { recursive: true });
    for (const name of readdirSync(path.join(samples, set, side))) {
      cpSync(path.join(samples, set, side, name), path.join(dest, name));
      rel.push(path.join(set, name));
    }
  }
  return rel;
}

t.test('post_build and post_package normalize their folders and report the summary', { skip: !existsSync(python) && `${python} is not installed` }, async (t) => {
  const dir = tempDir(t, 'unstamp-conan-');
  const build = path.join(dir, 'build');
  const pkg = path.join(dir, 'package');
  const rel = populate(build, 'a');
  populate(pkg, 'b');
  // The expected bytes: the other build of each sample, normalized by the CLI.
  const expected = path.join(dir, 'expected');
  populate(expected, 'b');
  t.equal(cli([expected]).code, 0);
  // libfoo.dll.a is the one file GNU ld already writes deterministically.
  for (const r of rel.filter((r) => !r.endsWith('.dll.a'))) {
    t.notOk(readFileSync(path.join(build, r)).equals(readFileSync(path.join(expected, r))), `${r}: differs before`);
  }

  const run = runHook(t, { build, pkg }, unstamp);
  t.same(run.raised, [], 'nothing raised');
  t.same(run.command, [process.execPath, bin], 'UNSTAMP_COMMAND split with shlex');
  t.same(
    run.messages.map(([level]) => level),
    ['info', 'info'],
    'one info line per folder, no warning or error',
  );
  t.match(run.messages[0]?.[1], /^unstamp: 5 files scanned \(.*\), 4 normalized, 1 already clean, 0 skipped, 0 failed; .* \[build folder\]$/);
  t.match(run.messages[1]?.[1], /^unstamp: 5 files scanned \(.*\), 4 normalized, 1 already clean, 0 skipped, 0 failed; .* \[package folder\]$/);
  for (const r of rel) {
    t.ok(readFileSync(path.join(build, r)).equals(readFileSync(path.join(expected, r))), `build/${r}: identical to the other build, normalized`);
    t.ok(readFileSync(path.join(pkg, r)).equals(readFileSync(path.join(expected, r))), `package/${r}: identical too`);
  }
  t.equal(cli(['check', build, pkg]).code, 0, 'unstamp check: nothing left to change');

  // A second run finds everything clean.
  const again = runHook(t, { build, pkg }, unstamp);
  t.match(again.messages[0]?.[1], /5 files scanned .*, 0 normalized, 5 already clean/);
});

t.test('UNSTAMP_COMMAND: quoted words with spaces, and the default', { skip: !existsSync(python) && `${python} is not installed` }, async (t) => {
  const dir = tempDir(t, 'unstamp-conan-');
  const spaced = path.join(dir, 'a folder with spaces');
  mkdirSync(spaced);
  symlinkSync(bin, path.join(spaced, 'unstamp.js'));
  const build = path.join(dir, 'build');
  populate(build, 'a');
  const run = runHook(t, { build }, `'${process.execPath}' "${path.join(spaced, 'unstamp.js')}" --quiet`);
  t.same(run.command, [process.execPath, path.join(spaced, 'unstamp.js'), '--quiet']);
  t.same(run.raised, []);
  t.same(
    run.messages.map(([level]) => level),
    ['info', 'info'],
  );
  t.match(run.messages[1]?.[1], /no package folder, nothing to do/);
  t.equal(cli(['check', build]).code, 0, 'normalized through the quoted path');

  // unstamp's warnings on a successful run (a PE whose PDB is elsewhere) come as a warning.
  const pkg = path.join(dir, 'package');
  mkdirSync(pkg);
  cpSync(path.join(samples, 'pe/mingw-exe-pdb/a/app.exe'), path.join(pkg, 'app.exe'));
  const lone = runHook(t, { pkg }, unstamp);
  t.same(
    lone.messages.map(([level]) => level),
    ['info', 'info', 'warning'],
  );
  t.match(lone.messages[1]?.[1], /^unstamp: 1 file scanned .*, 1 normalized/);
  t.match(lone.messages[2]?.[1], /app\.exe: warning: its PDB .* will no longer match/);

  const unset = runHook(t, {}, undefined);
  t.same(unset.command, ['npx', '--no-install', 'unstamp'], 'default: npx --no-install unstamp');
  t.same(unset.raised, []);
});

t.test('failures are reported through conanfile.output, never raised', { skip: !existsSync(python) && `${python} is not installed` }, async (t) => {
  const dir = tempDir(t, 'unstamp-conan-');

  // A corrupt archive among good files: unstamp exits 3, the others are still normalized.
  const build = path.join(dir, 'build');
  populate(build, 'a');
  const bad = Buffer.from('!<arch>\nthis is no member header\n');
  writeFileSync(path.join(build, 'corrupt.a'), bad);
  const corrupt = runHook(t, { build }, unstamp);
  t.same(corrupt.raised, [], 'nothing raised');
  const warning = corrupt.messages.find(([level]) => level === 'warning')?.[1];
  t.match(warning, /^unstamp: some files in the build folder were not normalized \(exit 3\):\n/);
  t.match(warning, /corrupt\.a: member header at 0x8 .*; left untouched\n/, 'names the file and the rule');
  t.match(warning, /\nunstamp: 6 files scanned .*, 4 normalized, 1 already clean, 0 skipped, 1 failed/, 'and the summary');
  t.ok(readFileSync(path.join(build, 'corrupt.a')).equals(bad), 'the corrupt file is untouched');
  t.equal(cli(['check', path.join(build, 'ar'), path.join(build, 'gzip'), path.join(build, 'pe')]).code, 0, 'the good files were normalized');

  // A command that does not exist.
  const missing = runHook(t, { build, pkg: build }, '/nonexistent/bin/unstamp -v');
  t.same(missing.raised, [], 'nothing raised');
  t.same(
    missing.messages.map(([level]) => level),
    ['error', 'error'],
    'one error per folder',
  );
  t.match(missing.messages[0]?.[1], /^unstamp: could not run \/nonexistent\/bin\/unstamp -v on the build folder: .*No such file or directory.*\(set UNSTAMP_COMMAND\)$/);

  // A command that exits 2 (what unstamp does on a usage error).
  const usage = runHook(t, { build }, `"${process.execPath}" "${bin}" --epoch yesterday`);
  t.same(usage.raised, []);
  t.equal(usage.messages[0]?.[0], 'error');
  t.match(usage.messages[0]?.[1], /failed \(exit 2\) on the build folder:\n.*--epoch: 'yesterday'/);
});
