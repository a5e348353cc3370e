// The progress bar: on stderr, only on a terminal, never with --json, --quiet or $CI.
// A terminal is made with util-linux `script`, which runs the CLI on a pseudo-tty.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { bin, cli, have, samples, tempDir } from './helpers.js';

const BAR = /unstamp [\u2588\u2591]+ \d+% \| \d+\/\d+ files \| [\d.]+\/[\d.]+ MiB \| ETA \d+s/;

/** Run the CLI on a pseudo-terminal, slowed (3 ms a write, about 300 writes) so the run outlasts the bar's 300 ms delay. */
function onTty(args: string[], env: Record<string, string> = {}): { code: number; screen: string } {
  const vars = { NODE_OPTIONS: '', CI: '', UNSTAMP_DEBUG_WRITE_DELAY_MS: '3', ...env };
  const assign = Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join(' ');
  const cmd = `env ${assign} '${process.execPath}' '${bin}' ${args.map((a) => `'${a}'`).join(' ')}`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
  return { code: r.status ?? -1, screen: r.stdout };
}

function tree(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  for (const rel of ['zip/infozip', 'zip/python', 'zip/jar', 'zip/7z', 'ar/gnu']) cpSync(path.join(samples, rel), path.join(dir, rel), { recursive: true });
  return dir;
}

t.test('a terminal gets a bar with files, MiB and ETA; report lines stay whole', { skip: !have('script') && 'util-linux script not installed' }, async (t) => {
  const r = onTty(['--epoch', '0', '-j', '1', tree(t)]);
  t.equal(r.code, 0);
  t.match(r.screen, BAR);
  t.match(r.screen, /\n?normalized {4}\S+libdemo\.a {2}\[ar\]/, 'a report line printed above the bar is intact');
  t.match(r.screen, /unstamp: 10 files scanned/, 'the summary comes after the bar is cleared');
});

for (const [what, args, env] of [
  ['--json', ['--json'], {}],
  ['--quiet', ['-q'], {}],
  ['CI set', [], { CI: 'true' }],
] as const) {
  t.test(`no bar with ${what}`, { skip: !have('script') && 'util-linux script not installed' }, async (t) => {
    const began = Date.now();
    const r = onTty([...args, '--epoch', '0', '-j', '1', tree(t)], env);
    t.ok(Date.now() - began > 300, 'the run outlasted the 300 ms before a bar would show');
    t.equal(r.code, 0);
    t.notMatch(r.screen, / files \| .* MiB \| ETA /);
  });
}

t.test('no bar when stderr is not a terminal', async (t) => {
  const r = cli(['--epoch', '0', '-j', '1', tree(t)], { env: { UNSTAMP_DEBUG_WRITE_DELAY_MS: '3' } });
  t.equal(r.code, 0);
  t.notMatch(r.stderr, / files \| .* MiB \| ETA /);
  t.equal(r.stderr, '');
});
