// Mutation fuzzing over the real samples, through the same harness as `npm run fuzz`
// (test/fuzz-harness.mjs), with a small number of mutants per sample so the suite stays
// quick: UNSTAMP_FUZZ_N (default 12; `npm run fuzz` makes 100). Whatever the bytes, unstamp
// must not crash, must leave a file it refuses byte-for-byte untouched with an error naming
// an offset, must never change a file's size, and a file it normalizes must still be accepted by the
// format's independent tool (if the mutant was) and be clean on a second run.
import t from 'tap';
import * as lib from '../src/index.js';
// @ts-ignore: a plain JS module, shared with `npm run fuzz`.
import { FORMATS, formatProblem, formatTable, runFuzz } from './fuzz-harness.mjs';

const N = Number(process.env.UNSTAMP_FUZZ_N ?? 12);

interface Row {
  format: string;
  mutants: number;
  normalized: number;
  clean: number;
  refused: number;
  toolChecked: number;
}

t.test(`fuzz: ${N} mutants of every sample of every format`, async (t) => {
  const result = await runFuzz(lib, { n: N, jobs: 4 });
  t.comment(`\n${formatTable(result)}`);
  for (const p of result.problems) t.fail(formatProblem(p));
  t.equal(result.problems.length, 0, `no problems in ${result.total.mutants} mutants`);
  const rows = result.rows as Row[];
  t.same(rows.map((r) => r.format).sort(), [...(FORMATS as string[])].sort(), 'every format has samples');
  // A format that rewrites no field (ELF: checked, reported clean) has "clean" as its success path.
  const checkOnly = new Set(lib.allFormats.filter((f) => f.fields.length === 0).map((f) => f.name));
  for (const r of rows) {
    t.ok(r.refused > 0, `${r.format}: ${r.refused} of ${r.mutants} mutants refused (the error path)`);
    if (checkOnly.has(r.format)) t.ok(r.clean > 0, `${r.format}: ${r.clean} of ${r.mutants} mutants checked and clean (the success path)`);
    else t.ok(r.normalized > 0, `${r.format}: ${r.normalized} of ${r.mutants} mutants normalized (the success path)`);
  }
});
