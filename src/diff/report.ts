// How `explain <a> <b>` reads: per pair a line saying whether the two are the same after
// normalization, the fields unstamp fixes, and the bytes that would still differ with
// where they are and why; one summary line for directories. And the JSON report.
import { hex } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { plural } from '../report.js';
import type { DiffReport, PairResult } from './index.js';

const shown = (text: string, hexBytes: string | undefined) => displayPath(hexBytes !== undefined ? Buffer.from(hexBytes, 'hex') : text);

export function pairName(p: PairResult): string {
  return p.path !== undefined ? shown(p.path, p.pathHex) : `${shown(p.a, p.aHex)} vs ${shown(p.b, p.bHex)}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function what(p: PairResult): string {
  const format = p.formatB !== undefined ? `${p.format ?? 'unknown'} / ${p.formatB ?? 'unknown'}` : (p.format ?? 'unknown format');
  const size = p.sizeA === p.sizeB ? plural(p.sizeA, 'byte') : `${p.sizeA} vs ${plural(p.sizeB, 'byte')}`;
  return `[${format}, ${size}]`;
}

/** The one-line verdict for a pair (errors excepted: they go to stderr). */
export function verdict(p: PairResult): string {
  const name = pairName(p);
  if (p.identicalBefore) return `identical     ${name}  ${what(p)}`;
  if (p.identicalAfter) {
    return `same after    ${name}  ${what(p)}: identical after normalization; ${plural(p.fixedFields.length, 'field')} ${p.fixedFields.length === 1 ? 'differs' : 'differ'}, all fixed by unstamp`;
  }
  const sizes = p.sizeA !== p.sizeB ? `sizes differ (${p.sizeA} vs ${plural(p.sizeB, 'byte')}); ` : '';
  if (p.byMember) {
    const m = p.byMember;
    const one = m.onlyInA.length + m.onlyInB.length > 0 ? `, ${m.onlyInA.length} only in a, ${m.onlyInB.length} only in b` : '';
    const order = p.reordered ? ', in another order' : '';
    const rest = p.remainingRanges > 0 ? `: ${plural(p.remainingRanges, 'range')}, ${plural(p.remainingBytes, 'byte')}` : '';
    return `DIFFERS       ${name}  ${what(p)}: ${sizes}compared member by member: ${m.differ.length} of ${plural(m.compared, 'member')} ${m.differ.length === 1 ? 'differs' : 'differ'} after normalization${rest}${one}${order}`;
  }
  const rest = p.remainingRanges > 0 ? `${plural(p.remainingRanges, 'range')}, ${plural(p.remainingBytes, 'byte')} still ${p.remainingBytes === 1 ? 'differs' : 'differ'}` : 'the common bytes are the same';
  return `DIFFERS       ${name}  ${what(p)}: ${sizes}${rest} after normalization`;
}

/** The fields unstamp fixes and the remaining differences of a pair. */
export function detailLines(p: PairResult): string[] {
  const lines: string[] = [];
  const sk = p.skipped ?? {};
  if (sk.a !== undefined && sk.a === sk.b) lines.push(`  note: not normalized by unstamp (${sk.a}); compared as they are`);
  else for (const [side, reason] of Object.entries(sk)) lines.push(`  note: ${side} is not normalized by unstamp (${reason}); compared as it is`);
  if (p.fixedFields.length > 0) {
    lines.push(`  fields that differ and that unstamp fixes (${p.fixedFields.length}):`);
    for (const f of p.fixedFields) {
      const at = f.offsetA === f.offsetB ? hex(f.offsetA) : `${hex(f.offsetA)}/${hex(f.offsetB)}`;
      lines.push(`    ${pad(at, 10)}  ${f.field}: a ${f.a}, b ${f.b} -> ${f.new}`);
    }
  }
  if (p.byMember) {
    const m = p.byMember;
    lines.push(`  the members lie at other offsets in a and b: compared by name, contents (inflated) with contents`);
    if (m.differ.length > 0) lines.push(`  members that differ: ${m.differ.join(', ')}`);
    if (m.onlyInA.length > 0) lines.push(`  members only in a: ${m.onlyInA.join(', ')}`);
    if (m.onlyInB.length > 0) lines.push(`  members only in b: ${m.onlyInB.join(', ')}`);
    if (m.differ.length === 0 && m.onlyInA.length + m.onlyInB.length === 0 && !p.reordered) {
      lines.push(`  every member holds the same bytes: the archives differ in their headers, tables or compression (another archiver, or other settings), which are not compared here`);
    }
  }
  if (p.reordered) lines.push(`  reordered ${p.reordered.what}: ${p.reordered.text}`);
  if (p.remainingRanges > 0) {
    const inMembers = p.byMember ? ' in the members' : '';
    lines.push(`  bytes that still differ${inMembers} after normalization (${plural(p.remainingRanges, 'range')}, ${plural(p.remainingBytes, 'byte')}):`);
    for (const r of p.remaining) {
      const span = `${hex(r.offset)}..${hex(r.offset + r.length)}`;
      const size = r.differingBytes === r.length ? plural(r.length, 'byte') : `${plural(r.length, 'byte')}, ${r.differingBytes} ${r.differingBytes === 1 ? 'differs' : 'differ'}`;
      lines.push(`    ${span} (${size})  ${r.location}`);
      if (r.locationB !== undefined) lines.push(`      in b: ${r.locationB}`);
      for (const c of r.causes) {
        // The reordering's sentence is said once, above.
        const text = c.kind === 'reordered' && p.reordered ? `part of the reordering above (${p.reordered.what})` : c.text;
        lines.push(`      cause: ${c.kind === 'unknown' ? 'unknown' : c.kind}: ${text}`);
      }
      lines.push(`      a: ${r.a}`);
      lines.push(`      b: ${r.b}`);
    }
    const hidden = p.remainingRanges - p.remaining.length;
    if (hidden > 0) {
      const bytes = p.remainingBytes - p.remaining.reduce((n, r) => n + r.differingBytes, 0);
      lines.push(`    ... and ${plural(hidden, 'more range')} (${plural(bytes, 'byte')}) not shown`);
    }
  }
  if (p.sizeA !== p.sizeB && !p.byMember) lines.push(`  sizes differ: a is ${plural(p.sizeA, 'byte')}, b is ${p.sizeB}; bytes were compared up to the shorter one`);
  return lines;
}

export function errorLine(p: PairResult): string | undefined {
  if (!p.error) return undefined;
  const path = p.error.side === 'a' ? shown(p.a, p.aHex) : shown(p.b, p.bHex);
  return `unstamp: ${path}: ${p.error.message}; cannot compare it`;
}

export function diffSummaryLine(r: DiffReport): string {
  const s = r.summary;
  const already = s.identicalBefore > 0 ? ` (${s.identicalBefore} byte-identical already)` : '';
  return (
    `unstamp: explain: ${plural(s.pairs, 'pair')}: ${s.identicalAfter} identical after normalization${already}, ${s.differ} still ${s.differ === 1 ? 'differs' : 'differ'}; ` +
    `${s.onlyInA} only in a, ${s.onlyInB} only in b; ${s.failed} failed; ${s.seconds.toFixed(2)} s`
  );
}

/** This report's own schema version (README "Explain"): unchanged when the --json run report's moves. */
const DIFF_SCHEMA_VERSION = 1;

export function diffJson(r: DiffReport, epoch: number, clamp: boolean, exitCode: number): string {
  return JSON.stringify({ unstamp: DIFF_SCHEMA_VERSION, command: 'explain', epoch, clamp, ...r, exitCode }, null, 2);
}
