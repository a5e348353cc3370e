import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, processFile, type EngineOptions } from '../../src/core/engine.js';
import { SkipFile } from '../../src/core/errors.js';
import type { Format } from '../../src/core/format.js';
import { tempDir } from '../helpers.js';

// Test doubles of the Format interface, to pin down the engine's linking rules:
// "PRIM<key:4><id:4>" publishes its id (after a derived rewrite to the byte sum of the
// key); "COMP<key:4><id:4>" writes the published id over its own.
const prim: Format = {
  name: 'prim',
  title: 'primary',
  fields: [],
  leftAlone: [],
  detect: (h) => h.toString('latin1', 0, 4) === 'PRIM',
  link: {
    role: 'primary',
    key: async (r) => (await r.read(4, 4)).toString('latin1'),
    unpaired: (key) => `companion ${key} will no longer match`,
  },
  plan: async (ctx) => {
    ctx.derive({
      offset: 8,
      size: 4,
      field: 'id',
      stage: 0,
      range: { start: 4, end: 8 },
      render: (b) => b.toString('latin1'),
      createHasher: () => {
        let sum = 0;
        return { update: (c) => c.forEach((v) => (sum += v)), digest: () => Buffer.from(String(sum).padStart(4, '0').slice(-4), 'latin1') };
      },
    });
    ctx.publish('id', 8, 4);
  },
};
const comp: Format = {
  name: 'comp',
  title: 'companion',
  fields: [],
  leftAlone: [],
  detect: (h) => h.toString('latin1', 0, 4) === 'COMP',
  link: {
    role: 'companion',
    key: async (r) => (await r.read(4, 4)).toString('latin1'),
    orphaned: (key) => `no primary ${key} in this run`,
  },
  plan: async (ctx) => {
    const id = ctx.linked('id');
    if (!id) throw new SkipFile('primary did not publish');
    const old = await ctx.reader.read(8, 4);
    ctx.patch({ offset: 8, bytes: id, oldBytes: old, field: 'id', old: old.toString('latin1'), new: id.toString('latin1') });
  },
};

const opts: EngineOptions = { mode: 'normalize', epoch: 0, clamp: false, formats: [prim, comp], setMtime: false, recompress: 'auto', settings: {} };

t.test('a companion gets the values its primary published, whatever the file order', async (t) => {
  const dir = tempDir(t);
  const files = { c1: 'COMPkey1xxxx', p1: 'PRIMkey1yyyy', c2: 'COMPkey2zzzz', lone: 'COMPkeyXwwww', p3: 'PRIMkey3vvvv' };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const { files: results } = await run([dir], { ...opts, jobs: 2 });
  const by = Object.fromEntries(results.map((r) => [path.basename(r.path), r]));
  const sum = String([...'key1'].reduce((n, ch) => n + ch.charCodeAt(0), 0)).padStart(4, '0');
  t.equal(readFileSync(path.join(dir, 'p1'), 'latin1'), `PRIMkey1${sum}`);
  t.equal(readFileSync(path.join(dir, 'c1'), 'latin1'), `COMPkey1${sum}`, 'companion matches its primary');
  t.same(by.p1.warnings, [], 'a paired primary gives no warning');
  t.equal(by.c2.status, 'skipped');
  t.equal(by.c2.reason, 'no primary key2 in this run');
  t.same(by.c2.warnings, ['no primary key2 in this run'], 'an orphaned companion is left alone with a warning');
  t.equal(readFileSync(path.join(dir, 'c2'), 'latin1'), files.c2);
  t.same(by.p3.warnings, ['companion key3 will no longer match']);
  t.same(results.map((r) => path.basename(r.path)), ['c1', 'c2', 'lone', 'p1', 'p3'], 'reported in walk order');
});

t.test('processed alone, a companion is skipped and a primary warns', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'c'), 'COMPkey1xxxx');
  writeFileSync(path.join(dir, 'p'), 'PRIMkey1yyyy');
  const c = await processFile(path.join(dir, 'c'), opts);
  t.equal(c.status, 'skipped');
  const p = await processFile(path.join(dir, 'p'), opts);
  t.equal(p.status, 'normalized');
  t.same(p.warnings, ['companion key1 will no longer match']);
});
