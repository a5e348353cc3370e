// --zip-order name on a zip64 archive over 4 GiB, where a member whose local header had
// a 32-bit offset moves past 4 GiB: its central directory entry gets a zip64 extra, the
// directory grows by it and the end records after it move along. The archive is sparse
// (two 2.25 GiB stored members of zeros), so building it writes a few hundred bytes.
import t from 'tap';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { FileSource, RangeReader } from '../../src/core/reader.js';
import { orderedLayout } from '../../src/formats/zip/order.js';
import { cli, have, sh, tempDir } from '../helpers.js';

const large = process.env.UNSTAMP_LARGE === '1';
const BIG = 0x90000000; // each zero member: 2.25 GiB, so the two end past 4 GiB
const text = Buffer.from('the last member, first in the file\n');

/** CRC-32 of `n` zero bytes. */
function zeroCrc(n: number): number {
  const chunk = Buffer.alloc(64 << 20);
  let crc = 0;
  for (let left = n; left > 0; left -= chunk.length) crc = crc32(chunk.subarray(0, Math.min(chunk.length, left)), crc);
  return crc;
}

/**
 * z.txt at offset 0, then a.bin and b.bin (stored zeros, left as holes), then the central
 * directory past 4 GiB with a zip64 end record and locator, as Info-ZIP lays them out.
 */
function buildSparseZip(file: string): number {
  const zeros = zeroCrc(BIG);
  const members = [
    { name: 'z.txt', size: text.length, crc: crc32(text), data: text },
    { name: 'a.bin', size: BIG, crc: zeros },
    { name: 'b.bin', size: BIG, crc: zeros },
  ];
  const fd = openSync(file, 'w');
  let at = 0;
  const central: Buffer[] = [];
  for (const m of members) {
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0021, 12); // 1980-01-01
    local.writeUInt32LE(m.crc, 14);
    local.writeUInt32LE(m.size, 18);
    local.writeUInt32LE(m.size, 22);
    local.writeUInt16LE(name.length, 26);
    writeSync(fd, Buffer.concat([local, name, m.data ?? Buffer.alloc(0)]), 0, undefined, at);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(0x031e, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0021, 14);
    c.writeUInt32LE(m.crc, 16);
    c.writeUInt32LE(m.size, 20);
    c.writeUInt32LE(m.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(0o100644 * 0x10000, 38);
    c.writeUInt32LE(at, 42);
    central.push(c, name);
    at += 30 + name.length + m.size;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(56 + 20 + 22);
  end.writeUInt32LE(0x06064b50, 0);
  end.writeBigUInt64LE(44n, 4);
  end.writeUInt16LE(0x031e, 12);
  end.writeUInt16LE(45, 14);
  end.writeBigUInt64LE(3n, 24);
  end.writeBigUInt64LE(3n, 32);
  end.writeBigUInt64LE(BigInt(cd.length), 40);
  end.writeBigUInt64LE(BigInt(at), 48);
  end.writeUInt32LE(0x07064b50, 56);
  end.writeBigUInt64LE(BigInt(at + cd.length), 64);
  end.writeUInt32LE(1, 72);
  end.writeUInt32LE(0x06054b50, 76);
  end.writeUInt16LE(3, 84);
  end.writeUInt16LE(3, 86);
  end.writeUInt32LE(cd.length, 88);
  end.writeUInt32LE(0xffffffff, 92);
  writeSync(fd, Buffer.concat([cd, end]), 0, undefined, at);
  closeSync(fd);
  return at + cd.length + end.length;
}

/** Python's zipfile: each member's name, local header offset and (for small ones) contents. */
function pythonList(file: string): string {
  const code = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist(): print(i.filename, hex(i.header_offset), z.read(i) if i.file_size < 100 else i.file_size)\n';
  const r = sh('/usr/bin/python3', ['-c', code, file]);
  if (r.code !== 0) throw new Error(`python3 zipfile: ${r.stderr}`);
  return r.stdout.toString();
}

t.test('the central directory gets a zip64 offset for a member moved past 4 GiB', { skip: !have('/usr/bin/python3') && 'no python3' }, async (t) => {
  const dir = tempDir(t);
  const input = path.join(dir, 'in.zip');
  const size = buildSparseZip(input);
  // What the writer streams, laid out with the members' zeros left as holes: copying
  // 4.5 GiB takes the CLI a minute (the UNSTAMP_LARGE test below does it).
  const output = path.join(dir, 'out.zip');
  const fh = await open(input, 'r');
  const out = openSync(output, 'w');
  try {
    const r = RangeReader.of(new FileSource(fh, size));
    const layout = await orderedLayout(r);
    t.equal(layout.first, 0);
    let pos = 0;
    for (const s of layout.spans) {
      const head = await r.read(s.start, Math.min(s.end - s.start, 4096), 'member');
      writeSync(out, head, 0, head.length, pos);
      pos += s.end - s.start;
    }
    for (const chunk of [...layout.records, layout.after ?? Buffer.alloc(0)]) pos += writeSync(out, chunk, 0, chunk.length, pos);
    t.ok(layout.after, 'the end records moved');
  } finally {
    closeSync(out);
    await fh.close();
  }
  t.equal(statSync(output).size, size + 12, 'one 12-byte zip64 extra added to the central directory');
  const zOffset = 2 * (30 + 5 + BIG);
  t.ok(zOffset > 2 ** 32);
  t.equal(pythonList(output), `a.bin 0x0 ${BIG}\nb.bin 0x${(30 + 5 + BIG).toString(16)} ${BIG}\nz.txt 0x${zOffset.toString(16)} b'${text.toString().trim()}\\n'\n`, 'Python finds every member, z.txt past 4 GiB with its contents');
  if (have('unzip')) {
    const r = sh('unzip', ['-p', output, 'z.txt']);
    t.equal(r.stdout.toString(), text.toString(), `unzip extracts z.txt from past 4 GiB ${r.stderr}`);
  }
});

t.test('the whole rewrite through the CLI, checked by unzip -t and zipfile', { skip: !large && 'set UNSTAMP_LARGE=1 (streams 4.5 GiB, writes it out)' }, async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.zip');
  const size = buildSparseZip(file);
  const r = cli(['-v', '--zip-order', 'name', file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /member order/);
  t.equal(statSync(file).size, size + 12);
  const test = sh('unzip', ['-t', file]);
  t.equal(test.code, 0, test.stdout.toString() + test.stderr);
  t.match(test.stdout.toString(), /No errors detected/);
  const py = sh('/usr/bin/python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())', file]);
  t.equal(py.stdout.toString(), 'None\n', 'zipfile.testzip() finds every CRC right');
  t.equal(JSON.parse(cli(['--json', '--zip-order', 'name', file]).stdout).summary.bytesChanged, 0, 'second run: nothing to change');
});
