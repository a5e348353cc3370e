// The format-neutral parts of --remap-path: the rule check, the byte strings looked for
// (separator variants, UTF-16LE), non-overlapping matches, and the zlib refit that keeps a
// compressed stream's exact length.
import t from 'tap';
import { deflateSync, inflateSync } from 'node:zlib';
import { checkRule, findAll, needlesOf, parseRemap, replaced } from '../../src/core/remap.js';
import { UsageError } from '../../src/core/errors.js';
import { adler32, padding, recompressZlibTo } from '../../src/formats/shared/zlibfit.js';

t.test('OLD=NEW: split at the first =, equal lengths in UTF-8 and UTF-16', async (t) => {
  t.same(parseRemap('/abcd=/x=yz'), { from: '/abcd', to: '/x=yz' }, 'split at the first =');
  t.throws(() => parseRemap('/ab=/c'), UsageError);
  t.throws(() => parseRemap('/ab=/c'), /OLD '\/ab' is 3 bytes, NEW '\/c' is 2/);
  // é is 2 bytes in UTF-8 and one UTF-16 unit; "ab" is 2 of each.
  t.throws(() => checkRule({ from: '/é', to: '/ab' }), /same UTF-8 length \(3 bytes\) but not the same UTF-16 length/);
  t.throws(() => parseRemap('noequals'), /is not OLD=NEW/);
});

t.test('needles: as given, / and \\ swapped both ways, UTF-16LE only when asked; longest first', async (t) => {
  const n8 = needlesOf([{ from: 'C:\\b/x', to: 'D:\\c/y' }], false);
  t.same(n8.map((n) => n.from.toString()), ['C:\\b/x', 'C:\\b\\x', 'C:/b/x']);
  t.same(n8.map((n) => n.to.toString()), ['D:\\c/y', 'D:\\c\\y', 'D:/c/y']);
  const wide = needlesOf([{ from: '/ab', to: '/cd' }, { from: '/abcd', to: '/wxyz' }], true);
  t.equal(wide[0].from.length, 10, 'the UTF-16LE form of the longest OLD comes first');
  t.ok(wide.some((n) => n.wide && n.from.equals(Buffer.from('\\ab', 'utf16le'))));
});

t.test('findAll: every occurrence, none overlapping, the longer rule wins at one offset', async (t) => {
  const needles = needlesOf([{ from: '/ab', to: '/XY' }, { from: '/ab/cd', to: '/QR/ST' }], false);
  const buf = Buffer.from('x/ab/cd y/ab \\ab\\cd /ab/ab');
  const hits = findAll(buf, needles);
  t.same(hits.map((h) => h.at), [1, 9, 13, 20, 23]);
  t.equal(replaced(buf, hits).toString(), 'x/QR/ST y/XY \\QR\\ST /XY/XY');
});

t.test('padding: empty deflate blocks of every length from 9 up, and 0, 5, 6, 7', async (t) => {
  for (const n of [5, 6, 7, ...Array.from({ length: 60 }, (_, i) => i + 9)]) {
    const pad = padding(n);
    t.equal(pad?.length, n, `${n} bytes`);
    // A stream of nothing but these blocks inflates to nothing, with the Adler-32 of nothing.
    const z = Buffer.concat([Buffer.from([0x78, 0x9c]), pad!, Buffer.from([0, 0, 0, 1])]);
    t.equal(inflateSync(z).length, 0);
  }
  t.equal(padding(8), undefined, 'no mix of empty blocks is 8 bytes long');
  t.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398, 'Adler-32 of "Wikipedia" (RFC 1950 example value)');
});

t.test('recompressZlibTo: same length, inflates to the remapped data; refused when it cannot fit', async (t) => {
  const needles = needlesOf([{ from: '/tmp/build-AAAA', to: '/tmp/build-XXXX' }], false);
  for (let k = 1; k <= 40; k++) {
    const data = Buffer.from(Array.from({ length: k }, (_, i) => `/tmp/build-AAAA/src/file${i}.c\0`).join(''));
    const stream = deflateSync(data, { level: 6 });
    const fit = recompressZlibTo(stream, needles, data.length, 'test', 0);
    t.ok(fit, `${k} paths`);
    t.equal(fit!.bytes.length, stream.length, 'same length');
    t.equal(inflateSync(fit!.bytes).toString(), data.toString().split('/tmp/build-AAAA').join('/tmp/build-XXXX'));
  }
  // 60 repeated letters deflate to a few bytes; 60 varied ones cannot.
  const old = `/${'A'.repeat(60)}`;
  const varied = `/${Array.from({ length: 60 }, (_, i) => String.fromCharCode(33 + ((i * 37) % 90))).join('')}`;
  const data = Buffer.from(`${old}\0`);
  const stream = deflateSync(data, { level: 9 });
  const worse = needlesOf([{ from: old, to: varied }], false);
  t.throws(() => recompressZlibTo(stream, worse, data.length, 'section .debug_str (zlib-compressed)', 0x40), /no longer compress into its \d+ bytes/);
  t.equal(recompressZlibTo(stream, needlesOf([{ from: '/nothing', to: '/NOTHING' }], false), data.length, 'x', 0), undefined, 'no occurrence: nothing to do');
});
