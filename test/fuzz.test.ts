// Mutation fuzzing over the real samples: whatever the bytes, unstamp must not crash,
// must leave a file it refuses byte-for-byte untouched, and must never change a file's
// size; a file it normalizes must be clean on a second run. Deterministic: the seed is
// fixed, and UNSTAMP_FUZZ_N sets the number of mutants per sample (default 100).
import t from 'tap';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeFile } from '../src/index.js';
import { samples, tempDir } from './helpers.js';

const N = Number(process.env.UNSTAMP_FUZZ_N ?? 100);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL32 = [0, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(src: Buffer, rnd: () => number): Buffer {
  const pick = (n: number) => Math.floor(rnd() * n);
  const b = Buffer.from(src);
  switch (pick(6)) {
    case 0: {
      for (let k = 1 + pick(4); k > 0; k--) b[pick(b.length)] ^= 1 << pick(8);
      return b;
    }
    case 1:
      return b.subarray(0, pick(b.length));
    case 2: {
      if (b.length >= 4) b.writeUInt32LE(SPECIAL32[pick(4)], pick(b.length - 3));
      return b;
    }
    case 3: {
      // ASCII header fields: a digit, a sign, a space or a letter dropped into the text.
      b[pick(b.length)] = '0123456789- a`\n/#'.charCodeAt(pick(17));
      return b;
    }
    case 4: {
      const at = pick(b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(64)))]);
    }
    default: {
      // A plausible big count or size in decimal, as ar writes it.
      const at = pick(b.length);
      b.write(String(pick(2 ** 31)), at, 'latin1');
      return b;
    }
  }
}

function sampleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\/a$/.test(e.parentPath) && !/\.(c|txt|tbd|rc|py)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const inputs = ['ar', 'gzip', 'pe', 'macho', 'zip'].flatMap((f) => sampleFiles(path.join(samples, f)));

t.test(`fuzz: ${N} mutants of each of ${inputs.length} samples`, async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'mutant');
  const tally = { normalized: 0, clean: 0, failed: 0, skipped: 0, 'would-change': 0 };
  let problems = 0;
  for (const [i, input] of inputs.entries()) {
    const rnd = mulberry32(0x5eed + i);
    const original = readFileSync(input);
    for (let n = 0; n < N; n++) {
      const mutant = mutate(original, rnd);
      writeFileSync(file, mutant);
      const r = await normalizeFile(file, { epoch: 0 });
      tally[r.status]++;
      const after = readFileSync(file);
      const where = `${path.relative(samples, input)} mutant ${n}`;
      const fail = (why: string) => {
        problems++;
        t.fail(`${where}: ${why}`);
      };
      if (r.error?.message.startsWith('internal error')) fail(`crash: ${r.error.message}`);
      if (statSync(file).size !== mutant.length) fail('file size changed');
      if (r.status === 'failed' && !after.equals(mutant)) fail('failed but the file was modified');
      if (r.status === 'failed' && !/ at 0x[0-9a-f]+|0x[0-9a-f]+/.test(r.error?.message ?? '')) fail(`error names no offset: ${r.error?.message}`);
      if (r.status === 'normalized') {
        const second = await normalizeFile(file, { epoch: 0 });
        if (second.status !== 'clean') fail(`second run was ${second.status}, not clean${second.error ? `: ${second.error.message}` : ''}`);
      }
    }
  }
  t.equal(problems, 0, `every mutant handled: ${JSON.stringify(tally)}`);
  t.ok(tally.failed > 0 && tally.normalized > 0, 'the mutants reached both the error and the success paths');
});
