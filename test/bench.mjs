#!/usr/bin/env node
// Speed and memory figures, printed (never asserted): `npm run bench`.
// 1. the committed samples/ tree; 2. many small files (samples copied N times);
// 3. one large ar archive and one large gzip, each in its own process, with peak RSS,
//    to show memory does not grow with file size.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync, readdirSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const api = path.join(root, 'dist', 'index.js');
const { normalizeTree } = await import(api);
const copies = Number(process.env.BENCH_COPIES ?? 100);
const work = mkdtempSync(path.join(os.tmpdir(), 'unstamp-bench-'));
const mb = (n) => (n / 1e6).toFixed(1);

function report(label, s) {
  console.log(
    `${label}: ${s.scanned} files, ${mb(s.bytesScanned)} MB, ${s.normalized} normalized, ${s.failed} failed in ${s.seconds.toFixed(2)} s` +
      ` = ${(s.scanned / s.seconds).toFixed(0)} files/s, ${mb(s.bytesScanned / s.seconds)} MB/s`,
  );
}

try {
  const one = path.join(work, 'samples');
  cpSync(path.join(root, 'samples'), one, { recursive: true });
  report('samples/ (one copy)', (await normalizeTree([one], { epoch: 0 })).summary);

  const many = path.join(work, 'many');
  for (let i = 0; i < copies; i++) cpSync(path.join(root, 'samples', 'ar'), path.join(many, String(i), 'ar'), { recursive: true });
  for (let i = 0; i < copies; i++) cpSync(path.join(root, 'samples', 'gzip'), path.join(many, String(i), 'gzip'), { recursive: true });
  report(`${copies} copies of samples/ar and samples/gzip`, (await normalizeTree([many], { epoch: 0 })).summary);

  // Real PE files from Debian's mingw-w64 packages (x86_64-w64-mingw32 runtime DLLs).
  const peSource = '/usr/lib/gcc/x86_64-w64-mingw32';
  try {
    const dlls = readdirSync(peSource, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.dll'));
    const peDir = path.join(work, 'pe');
    dlls.forEach((e, i) => cpSync(path.join(e.parentPath, e.name), path.join(peDir, `${i}-${e.name}`)));
    report(`real PE: ${dlls.length} mingw-w64 runtime DLLs`, (await normalizeTree([peDir], { epoch: 0 })).summary);
  } catch {
    console.log(`real PE: skipped, no DLLs under ${peSource} (apt-get install gcc-mingw-w64-x86-64)`);
  }

  // Large inputs made by the real tools, each normalized in a fresh process for its peak RSS.
  const big = path.join(work, 'big');
  const members = path.join(big, 'members');
  cpSync(path.join(root, 'samples', 'src'), members, { recursive: true });
  const objects = [];
  const seed = readdirSync(path.join(root, 'samples', 'src')).filter((f) => f.endsWith('.txt'));
  for (let i = 0; i < 20000; i++) {
    const name = `member_${String(i).padStart(5, '0')}_${seed[i % seed.length]}`;
    copyFileSync(path.join(members, seed[i % seed.length]), path.join(members, name));
    objects.push(name);
  }
  const archive = path.join(big, 'big.a');
  execFileSync('ar', ['rcU', archive, ...objects], { cwd: members });
  const payload = path.join(big, 'payload.bin');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  writeFileSync(payload, Buffer.concat(Array.from({ length: 256 }, () => chunk)));
  execFileSync('gzip', ['-1', '-k', payload]);

  for (const file of [archive, `${payload}.gz`, payload]) {
    const code = `const { normalizeFile } = await import(${JSON.stringify(api)});
      const t = process.hrtime.bigint(); const r = await normalizeFile(${JSON.stringify(file)}, { epoch: 0 });
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      console.log(JSON.stringify({ status: r.status, fields: r.fields.length, seconds: s, maxRssKiB: process.resourceUsage().maxRSS }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    const r = JSON.parse(out.stdout);
    console.log(
      `${path.basename(file)} (${mb(statSync(file).size)} MB): ${r.status}, ${r.fields} fields in ${r.seconds.toFixed(2)} s, peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB`,
    );
  }
  const baseline = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(api)}); console.log(process.resourceUsage().maxRSS)`], { encoding: 'utf8' });
  console.log(`baseline: node + unstamp loaded, nothing processed: peak RSS ${(Number(baseline.stdout) / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
