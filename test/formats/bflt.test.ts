// bFLT: no tool on Debian makes or reads a bFLT binary (uClinux elf2flt is not packaged),
// so the real file is strip-nondeterminism's fixture hello.bflt (a version 4 binary with
// a build_date), and the expected output beside it is what strip-nondeterminism makes.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, expectRefused, root, tempDir } from '../helpers.js';

const FIXTURE = path.join(root, 'test/fixtures/strip-nondeterminism/bflt/hello.bflt');
const input = readFileSync(`${FIXTURE}.in`);

function copy(t: { teardown(fn: () => void): void }, bytes = input): string {
  const file = path.join(tempDir(t), 'hello.bflt');
  writeFileSync(file, bytes);
  return file;
}

t.test('build_date to the epoch: what strip-nondeterminism makes, nothing else changes, idempotent', async (t) => {
  const file = copy(t);
  t.equal(input.readUInt32BE(40), 1508268224, 'the fixture was built on 2017-10-17');
  const r = cli(['-v', '--epoch', '1423159771', file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /build_date: 1508268224 \(2017-10-17 19:23:44 UTC\) -> 1423159771 \(2015-02-05 18:09:31 UTC\)/);
  const after = readFileSync(file);
  t.ok(after.equals(readFileSync(`${FIXTURE}.out`)), 'byte-equal to strip-nondeterminism\'s expected output');
  t.ok(after.subarray(44).equals(input.subarray(44)) && after.subarray(0, 40).equals(input.subarray(0, 40)), 'only build_date changed');
  t.equal(cli(['check', '--epoch', '1423159771', file]).code, 0, 'check exits 0 after');
});

t.test('--clamp keeps an older build_date; 0 (no date) stays 0', async (t) => {
  const file = copy(t);
  t.equal(cli(['--clamp', '--epoch', '1600000000', file]).code, 0);
  t.ok(readFileSync(file).equals(input), 'built 2017, epoch 2020: kept');
  const none = Buffer.from(input);
  none.writeUInt32BE(0, 40);
  const zero = copy(t, none);
  t.equal(cli(['--epoch', '1600000000', zero]).code, 0);
  t.ok(readFileSync(zero).equals(none), 'a zero build_date is not replaced by the epoch');
});

t.test('explain names the field', async (t) => {
  const file = copy(t);
  const e = cli(['explain', file]);
  t.match(e.stdout, /: bflt, 19972 bytes/);
  t.match(e.stdout, /0x28\s+build_date: 1508268224/);
});

t.test('a version 2 header has no date: noted, untouched', async (t) => {
  const v2 = Buffer.from(input);
  v2.writeUInt32BE(2, 4);
  const file = copy(t, v2);
  t.match(cli(['explain', file]).stdout, /bFLT version 2 has no build_date/);
  t.equal(cli(['--epoch', '0', file]).code, 0);
  t.ok(readFileSync(file).equals(v2));
});

t.test('bad input is refused with the offset, the file untouched', async (t) => {
  const rev = Buffer.from(input);
  rev.writeUInt32BE(3, 4);
  expectRefused(t, { name: 'rev', bytes: rev, file: 'rev.bflt', message: /bFLT header version at 0x4 is 3, not 2 or 4/ });
  expectRefused(t, { name: 'cut', bytes: input.subarray(0, 19000), file: 'cut.bflt', message: /bFLT header data_end 0x4d60 at 0x10 is past the end of the file \(size 0x4a38\)/ });
  const order = Buffer.from(input);
  order.writeUInt32BE(0x10, 12);
  expectRefused(t, { name: 'order', bytes: order, file: 'order.bflt', message: /bFLT header offsets out of order: data_start 0x10/ });
  const relocs = Buffer.from(input);
  relocs.writeUInt32BE(1000, 32);
  expectRefused(t, { name: 'relocs', bytes: relocs, file: 'relocs.bflt', message: /bFLT header relocations \(reloc_start 0x4d60, 1000 entries\) run past the end/ });
});
