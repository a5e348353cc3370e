// `npm run build:sea`: unstamp as one executable file for this platform, for build machines
// without Node.js (Node's single executable applications: a copy of this node binary with
// the program injected). A SEA runs a single CommonJS script, so dist/ and its dependencies
// are first bundled into one with esbuild, the lazy `await import()`s included.
//
//   node scripts/build-sea.mjs [--out <file>]     default: dist-sea/unstamp (unstamp.exe on Windows)
//
// Run it after `npm run build` (the npm script does both).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = process.platform === 'win32' ? 'unstamp.exe' : 'unstamp';
const at = process.argv.indexOf('--out');
const out = path.resolve(at > 0 ? process.argv[at + 1] : path.join(root, 'dist-sea', exe));
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

const work = mkdtempSync(path.join(os.tmpdir(), 'unstamp-sea-'));
try {
  const bundle = path.join(work, 'unstamp.cjs');
  await build({
    // What bin/unstamp.js does, without its code cache (src/code-cache.cts): that reads the
    // CLI from a file beside it and writes a cache folder, and a SEA is one file.
    stdin: {
      contents: `import { main } from './dist/cli.js';
main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(\`unstamp: internal error: \${err && err.stack ? err.stack : err}\\n\`);
    process.exitCode = 3;
  },
);`,
      resolveDir: root,
      sourcefile: 'unstamp-sea.js',
      loader: 'js',
    },
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'warning',
    // CommonJS has no import.meta: yargs and cli.ts take paths from it. In a SEA __filename
    // is the executable. The version cannot be read from a package.json there.
    banner: { js: 'const __unstamp_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__unstamp_import_meta_url', UNSTAMP_VERSION: JSON.stringify(version) },
  });

  const blob = path.join(work, 'unstamp.blob');
  const config = path.join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }));
  const prep = spawnSync(process.execPath, ['--experimental-sea-config', config], { encoding: 'utf8' });
  if (prep.status !== 0) throw new Error(`node --experimental-sea-config failed: ${prep.stderr}`);

  mkdirSync(path.dirname(out), { recursive: true });
  rmSync(out, { force: true });
  copyFileSync(process.execPath, out);
  chmodSync(out, 0o755);
  // A signed macOS binary must lose its signature before the blob goes in, and be re-signed after.
  if (process.platform === 'darwin') spawnSync('codesign', ['--remove-signature', out], { stdio: 'inherit' });
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  const mac = process.platform === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : [];
  const inject = spawnSync(process.execPath, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2', ...mac], { encoding: 'utf8' });
  // Its ELF library warns about every note section it cannot name; they come out intact.
  const said = `${inject.stdout}${inject.stderr}`.split('\n').filter((l) => l && !/^warning: Can't find string offset for section name/.test(l));
  if (inject.status !== 0) throw new Error(`postject failed (${inject.status}): ${said.join('\n')}`);
  if (process.platform === 'darwin') spawnSync('codesign', ['--sign', '-', out], { stdio: 'inherit' });
  console.log(`unstamp ${version}: ${out} (node ${process.version}, ${process.platform}-${process.arch})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
