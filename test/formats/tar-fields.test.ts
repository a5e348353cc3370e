// The numeric fields of a tar header as GNU tar and libarchive read and write them: octal
// text with its own padding, blank fields, and base-256 (GNU, star) for values that do not
// fit. unstamp writes a value back in the field's own encoding.
import t from 'tap';
import { encodeChksum, encodeNumber, parseNumber } from '../../src/formats/tar/header.js';

const field = { offset: 0, size: 12 };
const block = (text: string | Buffer) => {
  const b = Buffer.alloc(512);
  (typeof text === 'string' ? Buffer.from(text, 'latin1') : text).copy(b);
  return b;
};
const roundTrip = (text: string | Buffer, value: bigint) => {
  const h = block(text);
  const old = parseNumber(h, field);
  if (!old) throw new Error('not a number');
  const out = encodeNumber(h, field, old, value);
  return out && out.toString('latin1');
};

t.test('octal fields keep their digits, spaces and terminators', async (t) => {
  t.same(parseNumber(block('13603256645\0'), field)?.value, 0o13603256645n, 'GNU tar: 11 digits, NUL');
  t.same(parseNumber(block('13603256645 '), field)?.value, 0o13603256645n, 'bsdtar: 11 digits, space');
  t.same(parseNumber(block('   1234567 \0'), field)?.value, 0o1234567n, 'old tars: leading spaces');
  t.equal(roundTrip('13603256645\0', 0n), '00000000000\0');
  t.equal(roundTrip('13603256645 ', 0n), '00000000000 ');
  t.equal(roundTrip('   1234567 \0', 0n), '   0000000 \0');
});

t.test('a value too wide for the digits there takes the whole field in octal, as GNU tar writes it', async (t) => {
  t.equal(roundTrip('     0 \0\0\0\0\0', 1700000000n), '14524770400\0');
});

t.test('blank fields are "not set"; other text is not a number', async (t) => {
  t.equal(parseNumber(block(Buffer.alloc(12)), field)?.value, undefined, 'all NULs');
  t.equal(parseNumber(block('            '), field)?.value, undefined, 'all spaces');
  t.equal(parseNumber(block('12\x0034\0\0\0\0\0\0\0'), field), undefined, 'digits after a NUL');
  t.equal(parseNumber(block('1238\0'), field), undefined, 'an 8 is not octal');
  t.equal(parseNumber(block('-1\0'), field), undefined, 'a sign is not octal');
});

t.test('base-256: 0x80 positive, 0xff negative (two\'s complement)', async (t) => {
  const pos = Buffer.alloc(12);
  pos[0] = 0x80;
  pos.writeUInt32BE(3000000, 8);
  t.equal(parseNumber(block(pos), field)?.value, 3000000n);
  t.equal(roundTrip(pos, 0n), '00000000000\0', 'written back in octal when it fits, as GNU tar would');
  const neg = Buffer.alloc(12, 0xff);
  t.equal(parseNumber(block(neg), field)?.value, -1n);
  const huge = roundTrip('00000000000\0', 1n << 40n);
  t.equal(Buffer.from(huge ?? '', 'latin1').toString('hex'), '800000000000010000000000', 'a value past 11 octal digits goes base-256');
  t.equal(roundTrip('00000000000\0', 1n << 95n), undefined, 'nothing holds a value past 95 bits');
});

t.test('the checksum as tar writes it', async (t) => {
  t.equal(encodeChksum(0o11264).toString('latin1'), '011264\0 ');
});
