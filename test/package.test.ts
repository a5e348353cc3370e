// The package as a user gets it: `npm pack`, installed into an empty project from the tarball
// alone, with no network, then run from that project through node_modules/.bin.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root, samples, tempDir } from './helpers.js';

interface LockEntry {
  dev?: boolean;
  [key: string]: unknown;
}

const env = { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '' };
const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });

t.test('npm pack: a tarball that installs offline without a warning and runs in an empty project', async (t) => {
  const dir = tempDir(t);
  // --ignore-scripts: prepack would recompile dist/ under the test files running beside this
  // one; `npm test` has just built it.
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root);
  t.equal(pack.status, 0, `npm pack: ${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const files = packed.files.map((f) => f.path);
  // bin/ is CommonJS (its package.json) and loads the CLI bundle through the code cache loader.
  for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/unstamp.js', 'bin/package.json', 'dist/code-cache.cjs', 'dist/bundle/unstamp.cjs', 'dist/bundle/cli.js', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts']) {
    t.ok(files.includes(f), `the tarball holds ${f}`);
  }
  t.same(files.filter((f) => !/^(dist|bin)\//.test(f)).sort(), ['LICENSE', 'README.md', 'package.json'], 'and nothing of test/, samples/ or a single-file build');

  const manifest = JSON.parse(run('tar', ['-xOzf', packed.filename, 'package/package.json'], dir).stdout) as { version: string; scripts: Record<string, string> };
  const onInstall = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => manifest.scripts?.[s]);
  t.same(onInstall, [], 'nothing runs when a user installs it (a consumer has no TypeScript to build with)');

  // The host project pins unstamp's dependencies as this checkout's lockfile does, so npm
  // takes every tarball from the cache `npm ci` filled and needs no registry.
  const host = path.join(dir, 'host');
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const tgz = `file:../${packed.filename}`;
  const deps = Object.fromEntries(Object.entries(lock.packages).filter(([k, v]) => k.startsWith('node_modules/') && !v.dev));
  const own = lock.packages[''] as { dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string>; license: string };
  const manifestOfHost = { name: 'host-project', version: '9.9.9', private: true, dependencies: { unstamp: tgz } };
  const hostLock = {
    name: 'host-project',
    version: '9.9.9',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'host-project', version: '9.9.9', dependencies: { unstamp: tgz } },
      'node_modules/unstamp': { version: manifest.version, resolved: tgz, license: own.license, dependencies: own.dependencies, bin: own.bin, engines: own.engines },
      ...deps,
    },
  };
  mkdirSync(host);
  writeFileSync(path.join(host, 'package.json'), JSON.stringify(manifestOfHost, null, 2));
  writeFileSync(path.join(host, 'package-lock.json'), JSON.stringify(hostLock, null, 2));
  const install = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], host);
  t.equal(install.status, 0, `npm ci --offline of the tarball: ${install.stderr}`);
  t.notMatch(install.stderr, /warn/i, 'no warning');

  const unstamp = path.join(host, 'node_modules', '.bin', 'unstamp');
  const version = run(unstamp, ['--version'], host);
  t.equal(version.stdout, `${manifest.version}\n`, "its own version, not the host project's 9.9.9");
  // The installed CLI loads through V8's code cache: written by a first run, used by the next.
  const cached = { ...env, UNSTAMP_CACHE_DIR: path.join(dir, 'cache'), UNSTAMP_DEBUG_CODE_CACHE: '1' };
  const said = () => spawnSync(unstamp, ['--version'], { cwd: host, env: cached, encoding: 'utf8' }).stderr;
  t.match(said(), /^unstamp: code cache: wrote /m, 'first run: cache written');
  t.match(said(), /^unstamp: code cache: used /m, 'second run: cache used');
  cpSync(path.join(samples, 'ar/gnu'), path.join(host, 'ar'), { recursive: true });
  const normalize = run(unstamp, ['ar'], host);
  t.equal(normalize.status, 0, normalize.stderr);
  t.match(normalize.stdout, /^unstamp: 2 files scanned .*, 2 normalized/m);
  t.ok(readFileSync(path.join(host, 'ar/a/libdemo.a')).equals(readFileSync(path.join(host, 'ar/b/libdemo.a'))), 'the pair is byte-identical');
});
