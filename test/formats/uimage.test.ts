import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { cli, copySample, expectRefused, have, samples, sh, sha256 } from '../helpers.js';

const EPOCH = 1700000000; // 2023-11-14 22:13:20 UTC

t.test('uimage/mkimage: pair made identical, mkimage -l and dumpimage -l read a good header, data untouched, idempotent', async (t) => {
  const dir = copySample(t, 'uimage/mkimage');
  const a = path.join(dir, 'a', 'uImage');
  const b = path.join(dir, 'b', 'uImage');
  t.not(sha256(a), sha256(b), 'the two builds differ before');
  const before = readFileSync(a);
  t.equal(cli(['check', dir]).code, 1);
  const r = cli(['-v', '--epoch', String(EPOCH), dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /ih_time: 1614834367 \(2021-03-04 05:06:07 UTC\) -> 1700000000 \(2023-11-14 22:13:20 UTC\)/);
  t.match(r.stdout, /ih_hcrc: 0x[0-9a-f]+ -> 0x[0-9a-f]+/);
  t.equal(sha256(a), sha256(b), 'byte-identical after');
  const after = readFileSync(a);
  t.equal(after.length, before.length);
  t.ok(after.subarray(64).equals(before.subarray(64)), 'image data unchanged');
  t.equal(after.readUInt32BE(8), EPOCH, 'ih_time is the epoch');
  const zeroed = Buffer.from(after.subarray(0, 64));
  zeroed.fill(0, 4, 8);
  t.equal(after.readUInt32BE(4), crc32(zeroed), 'ih_hcrc matches the header');
  t.equal(after.readUInt32BE(24), crc32(after.subarray(64)), 'ih_dcrc still matches the data');
  for (const tool of ['mkimage', 'dumpimage']) {
    if (!have(tool)) {
      t.skip(`${tool} is not installed`);
      continue;
    }
    const l = sh(tool, ['-l', a]);
    t.equal(l.code, 0, `${tool} -l accepts it`);
    // mkimage prints the time in the local zone: TZ is not set here, the tests run in UTC or not.
    t.match(l.stdout.toString(), /Image Name:\s+unstamp-sample\n/);
    t.match(l.stdout.toString(), /Created:\s+\w{3} Nov 1[45] \d\d:13:20 2023/, `${tool} reads the new ih_time`);
    t.notMatch(l.stdout.toString() + l.stderr, /Bad|bad|invalid/i, 'no bad checksum reported');
  }
  t.equal(cli(['check', '--epoch', String(EPOCH), dir]).code, 0, 'check exits 0 after');
  t.equal(JSON.parse(cli(['--json', '--epoch', String(EPOCH), dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
});

t.test('an ih_time of 0 (no time) stays 0; --clamp keeps an older time', async (t) => {
  const dir = copySample(t, 'uimage/mkimage');
  const a = path.join(dir, 'a', 'uImage');
  t.equal(cli(['--epoch', '0', a]).code, 0);
  const zero = readFileSync(a);
  t.equal(zero.readUInt32BE(8), 0);
  t.equal(cli(['--epoch', String(EPOCH), a]).code, 0);
  t.ok(readFileSync(a).equals(zero), 'a zero ih_time is not replaced by the epoch');
  const b = path.join(dir, 'b', 'uImage');
  const beforeB = readFileSync(b);
  t.equal(cli(['--clamp', '--epoch', String(EPOCH), b]).code, 0);
  t.ok(readFileSync(b).equals(beforeB), 'build b (2023-09-10) predates the epoch: kept');
});

t.test('bad input is refused with the offset, the file untouched', async (t) => {
  const good = readFileSync(path.join(samples, 'uimage/mkimage/a/uImage'));
  const badCrc = Buffer.from(good);
  badCrc[40] ^= 1; // a letter of ih_name
  expectRefused(t, { name: 'hcrc', bytes: badCrc, file: 'hcrc.uImage', message: /uImage header CRC \(ih_hcrc at 0x4\) is 0x[0-9a-f]+, not the computed 0x[0-9a-f]+/ }, 'uimage/mkimage/b/uImage');
  expectRefused(t, { name: 'truncated data', bytes: good.subarray(0, 1000), file: 'cut.uImage', message: /uImage ih_size at 0xc is 2048 bytes, past the end of the file \(size 0x3e8\)/ });
});
