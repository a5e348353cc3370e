// Archives whose members lie at other offsets in a and b are compared member by member:
// paired by name, contents (inflated) with contents, each difference reported in its
// member. Real builds made here: javadoc jars at two clocks (the case of the issue: the
// deflated members change length, so everything after the first one moves), and an ar
// archive whose first member grows.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, have, output, samples, tempDir } from './helpers.js';

interface Remaining {
  offset: number;
  location: string;
  locationB?: string;
  symbol?: { name: string; offset: number };
  cause: string;
  causes: { kind: string; text: string }[];
}
interface Pair {
  identicalAfter: boolean;
  sizeA: number;
  sizeB: number;
  byMember?: { compared: number; differ: string[]; onlyInA: string[]; onlyInB: string[] };
  remaining: Remaining[];
  remainingRanges: number;
  reordered?: unknown;
}

const explain = (a: string, b: string, ...args: string[]): Pair => JSON.parse(cli(['explain', '--json', ...args, a, b]).stdout).pairs[0];

function run(cmd: string, args: string[], cwd: string, clock?: string): void {
  const argv = clock ? ['-f', clock, cmd, ...args] : args;
  const r = spawnSync(clock ? 'faketime' : cmd, argv, { cwd, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', NO_FAKE_STAT: '1' } });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
}

t.test('javadoc jars built at two clocks: every member that differs, by name, with the date in it', async (t) => {
  const missing = ['javadoc', 'jar', 'faketime'].filter((x) => !have(x));
  if (missing.length > 0) return t.skip(`needs ${missing.join(', ')}`);
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'src/demo'), { recursive: true });
  writeFileSync(path.join(dir, 'src/demo/Greeter.java'), 'package demo;\n/** Says hello. */\npublic class Greeter {\n  /** @param n who @return the greeting */\n  public String greet(String n) { return "hello " + n; }\n}\n');
  for (const [side, clock] of [['a', '2021-03-04 05:06:07'], ['b', '2023-09-10 11:12:13']]) {
    run('javadoc', ['-quiet', '-d', `doc-${side}`, '-sourcepath', 'src', 'demo'], dir, clock);
    run('jar', ['cf', `../${side}.jar`, '.'], path.join(dir, `doc-${side}`), clock);
  }
  const a = path.join(dir, 'a.jar');
  const b = path.join(dir, 'b.jar');
  // By default the javadoc pages inside are normalized and the jar recompressed: nothing is left.
  const fixed = explain(a, b);
  t.equal(fixed.identicalAfter, true, 'identical after normalization (javadoc dates fixed inside the deflated members)');
  t.same(fixed.remaining, [], 'no range left');
  // With --recompress never the members keep their dates: explain compares them by name.
  const p = explain(a, b, '--recompress', 'never');
  t.ok(p.byMember, 'compared member by member');
  const m = p.byMember!;
  t.ok(m.differ.length >= 3, `${m.differ.length} members differ`);
  t.ok(m.compared > m.differ.length, 'the others are the same');
  t.same([m.onlyInA, m.onlyInB], [[], []]);
  // Each member that differs holds the javadoc date in both builds (unzip -p is the judge).
  if (have('unzip')) {
    for (const name of m.differ) {
      t.match(output('unzip', ['-p', a, name]), /2021-03-04|Mar 04 05:06:07 UTC 2021/, `${name} in a has the date`);
      t.match(output('unzip', ['-p', b, name]), /2023-09-10|Sep 10 11:12:13 UTC 2023/, `${name} in b has the date`);
    }
  }
  // No range is left unexplained, and each lies in the inflated data of a member that differs.
  for (const r of p.remaining) {
    t.not(r.cause, 'unknown', `${r.location}: ${r.causes[0].text}`);
    const member = /^member (.+) \(deflated data\) > inflated data at offset 0x[0-9a-f]+$/.exec(r.location);
    t.ok(member && m.differ.includes(member[1]), r.location);
  }
  t.ok(p.remaining.some((r) => r.cause === 'date' && /"Thu Mar 04 05:06:07 UTC 2021" vs "Sun Sep 10 11:12:13 UTC 2023"/.test(r.causes[0].text)));
  t.ok(p.remaining.some((r) => r.cause === 'ISO date'));
  const text = cli(['explain', '--recompress', 'never', a, b]).stdout;
  t.match(text, new RegExp(`compared member by member: ${m.differ.length} of ${m.compared} members differ after normalization`));
  t.match(text, /^  members that differ: /m);
});

t.test('ar: a member that grew does not make the members after it differ', async (t) => {
  if (!have('ar') || !have('faketime')) return t.skip('needs ar, faketime');
  const dir = tempDir(t);
  for (const [side, clock] of [['a', '2021-03-04 05:06:07'], ['b', '2023-09-10 11:12:13']]) {
    const w = path.join(dir, side);
    mkdirSync(w);
    // The build date in words: its length depends on the day.
    run('sh', ['-c', "date +'built on %A, %B %-d, %Y' > stamp.txt"], w, clock);
    cpSync(path.join(samples, 'elf/gcc-x86_64/a/greet.o'), path.join(w, 'greet.o'));
    utimesSync(path.join(w, 'greet.o'), 1577934245, 1577934245);
    run('ar', ['rcD', 'lib.a', 'stamp.txt', 'greet.o'], w);
  }
  const a = path.join(dir, 'a/lib.a');
  const b = path.join(dir, 'b/lib.a');
  t.not(readFileSync(a).length, readFileSync(b).length, 'the archives have different sizes');
  const p = explain(a, b);
  t.same(p.byMember, { compared: 2, differ: ['stamp.txt'], onlyInA: [], onlyInB: [] });
  t.ok(p.remaining.length >= 1);
  for (const r of p.remaining) t.match(r.location, /^member stamp\.txt \(data\)/, 'only the member that differs');
  const [date, tail] = p.remaining;
  t.equal(date.cause, 'date');
  t.match(date.causes[0].text, /"Thursday, March 4, 2021" vs "Sunday, September 10, 2023"$/);
  t.match(tail.causes[0].text, /^member stamp\.txt is 33 bytes in a and 36 in b \(after normalization\): these are the bytes b has past the other's end$/);
  // Offset-aligned, greet.o would have differed from its first byte on.
  t.notOk(p.remaining.some((r) => /greet\.o/.test(r.location)));
});

t.test('tar and cpio: an entry that grew past a 512-byte block does not make the entries after it differ', async (t) => {
  if (!have('tar') || !have('cpio') || !have('faketime')) return t.skip('needs tar, cpio, faketime');
  const dir = tempDir(t);
  for (const [side, clock] of [['a', '2021-03-04 05:06:07'], ['b', '2023-09-10 11:12:13']]) {
    const w = path.join(dir, side);
    mkdirSync(path.join(w, 'tree'), { recursive: true });
    // A build log whose length depends on the day: 500 bytes in a, more than 512 in b.
    run('sh', ['-c', `{ date +'built on %A, %B %-d, %Y'; head -c ${side === 'a' ? 470 : 560} /dev/zero | tr '\\0' x; echo; } > tree/log.txt`], w, clock);
    cpSync(path.join(samples, 'elf/gcc-x86_64/a/greet.o'), path.join(w, 'tree/greet.o'));
    run('tar', ['--format=gnu', '-cf', 'out.tar', '-C', 'tree', 'log.txt', 'greet.o'], w, clock);
    run('sh', ['-c', 'cd tree && printf "log.txt\\ngreet.o\\n" | cpio -o -H newc --quiet > ../out.cpio'], w, clock);
  }
  for (const file of ['out.tar', 'out.cpio']) {
    const a = path.join(dir, 'a', file);
    const b = path.join(dir, 'b', file);
    const p = explain(a, b);
    t.same(p.byMember, { compared: 2, differ: ['log.txt'], onlyInA: [], onlyInB: [] }, `${file}: compared by name, only log.txt differs`);
    t.ok(p.remaining.length >= 1, `${file}: the differences are reported`);
    for (const r of p.remaining) t.match(r.location, /entry log\.txt \(data\)/, `${file}: ${r.location} lies in log.txt`);
    t.ok(p.remaining.some((r) => r.cause === 'date' && /"Thursday, March 4, 2021" vs "Sunday, September 10, 2023"/.test(r.causes[0].text)), `${file}: the date is named`);
  }
});
