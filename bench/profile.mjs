#!/usr/bin/env node
// Summarize a V8 .cpuprofile (from `node --cpu-prof`): the top self-time functions, and
// self time rolled up by where the code lives. Usage: node bench/profile.mjs FILE [N]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where a function lives, shortened: dist/core/plan.js, node:internal/fs/promises, glob/..., or (native). */
function place(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(root + '/')) u = u.slice(root.length + 1);
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) u = u.slice(nm + 'node_modules/'.length);
  return u;
}

function area(url, name) {
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(idle)') return 'idle (waiting for I/O or the thread pool)';
  if (name === '(program)') return 'V8/Node native, not attributed to JS (program)';
  if (name === '(root)') return 'root';
  if (!url) return 'native builtins (no script: Buffer, crypto, ...)';
  const p = place(url);
  if (p.startsWith('dist/')) return `unstamp ${p.split('/').slice(0, -1).join('/') || 'dist'}`;
  if (p.startsWith('node:')) return 'Node.js internals (node:...)';
  if (url.includes('node_modules/')) return `dependency ${p.split('/')[0]}`;
  return p;
}

export function summarize(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  // Sample i lasts until sample i+1 (the convention of Chrome's profiler view).
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const areas = new Map();
  for (const [id, us] of self) {
    const { callFrame: f } = byId.get(id);
    const name = f.functionName || '(anonymous)';
    const where = place(f.url) ? `${place(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${name}\u0000${where}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const a = area(f.url, name);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const ms = (us) => (us / 1000).toFixed(0).padStart(7);
  const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
  const lines = [];
  lines.push(`sampled ${(total / 1e6).toFixed(2)} s in ${samples.length} samples (${(profile.endTime - profile.startTime) / 1e6} s profiled)`);
  lines.push('');
  lines.push(`top ${top} functions by self time:`);
  lines.push(`${'ms'.padStart(7)} ${'share'.padStart(6)}  function  (location)`);
  for (const [key, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const [name, where] = key.split('\u0000');
    lines.push(`${ms(us)} ${pct(us)}  ${name}${where ? `  (${where})` : ''}`);
  }
  lines.push('');
  lines.push('self time by area:');
  for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1])) lines.push(`${ms(us)} ${pct(us)}  ${a}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/profile.mjs FILE.cpuprofile [N]');
    process.exit(2);
  }
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')), Number(n ?? 15)));
}
