import t from 'tap';
import { siphash } from '../../src/formats/pyc/siphash.js';
import { sourceHash } from '../../src/formats/pyc/plan.js';
import { pythonMtime, sourceOf } from '../../src/formats/pyc/spec.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sh, tempDir } from '../helpers.js';

const PY = '/usr/bin/python3';

t.test('SipHash-2-4: the reference vectors of the SipHash paper (key 00..0f, message 00..n-1)', async (t) => {
  const key = Buffer.from([...Array(16).keys()]);
  const vectors: [number, string][] = [
    [0, '726fdb47dd0e0e31'],
    [1, '74f839c593dc67fd'],
    [7, 'ab0200f58b01d137'],
    [8, '93f5f5799a932462'],
    [15, 'a129ca6149be45e5'],
  ];
  for (const [n, want] of vectors) t.equal(siphash(key, Buffer.from([...Array(n).keys()]), 2, 4).readBigUInt64LE().toString(16).padStart(16, '0'), want, `${n} bytes`);
});

t.test('the pyc source hash is importlib.util.source_hash for every tail length and a long source', async (t) => {
  const lengths = [...Array(41).keys(), 1000, 65537];
  const code = 'import importlib.util, json; print(json.dumps([importlib.util.source_hash(bytes((i * 7 + n) & 255 for i in range(n))).hex() for n in ' + JSON.stringify(lengths) + ']))';
  const r = sh(PY, ['-c', code]);
  t.equal(r.code, 0, r.stderr);
  const want: string[] = JSON.parse(r.stdout.toString());
  const magic = Buffer.from(sh(PY, ['-c', 'import importlib.util,sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())']).stdout.toString(), 'hex');
  for (const [i, n] of lengths.entries()) {
    const data = Buffer.from(Array.from({ length: n }, (_, k) => (k * 7 + n) & 255));
    t.equal(sourceHash(magic, data).toString('hex'), want[i], `${n} bytes`);
  }
});

t.test('where the importer looks for the source (importlib.util.source_from_cache)', async (t) => {
  t.equal(sourceOf({ folder: '__pycache__', name: 'mod.cpython-311.pyc' }), '../mod.py');
  t.equal(sourceOf({ folder: '__pycache__', name: 'mod.cpython-311.opt-2.pyc' }), '../mod.py');
  t.equal(sourceOf({ folder: '__pycache__', name: 'mod.cpython-311.opt.pyc' }), undefined, 'the optimization part must be opt-<alnum>');
  t.equal(sourceOf({ folder: '__pycache__', name: 'mod.pyc' }), undefined, 'two or three dots');
  t.equal(sourceOf({ folder: 'pkg', name: 'mod.pyc' }), 'mod.py', 'legacy: beside it');
  t.equal(sourceOf({ folder: 'pkg', name: 'mod.txt' }), undefined);
});

t.test('int(st_mtime) as Python computes it, from nanoseconds', async (t) => {
  t.equal(pythonMtime(1577934245_000000000n), 1577934245);
  t.equal(pythonMtime(1577934245_999999999n), 1577934246, 'the double sec + nsec * 1e-9 rounds up to the next second');
  t.equal(pythonMtime(1577934245_500000000n), 1577934245);
  t.equal(pythonMtime(-1_500000000n), 0xffffffff, 'before 1970: truncated toward zero (-1), then & 0xffffffff');
  t.equal(pythonMtime(5_000_000_000_000000000n), 5_000_000_000 % 2 ** 32, 'after 2106: the low 32 bits');
  const file = path.join(tempDir(t), 'f');
  writeFileSync(file, '');
  const r = sh(PY, ['-c', 'import os, sys; os.utime(sys.argv[1], ns=(0, 1577934245999999999)); print(int(os.stat(sys.argv[1]).st_mtime))', file]);
  t.equal(r.code, 0, r.stderr);
  t.equal(Number(r.stdout.toString().trim()), 1577934246, 'Python agrees');
});
