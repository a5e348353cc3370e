// Pairing the files of a linked format (FormatLink): which companion goes with which primary.
import type { BigIntStats } from 'node:fs';
import { baseOf, dirOf, pathKey, toBytes } from './paths.js';
import type { WalkFile } from './walk.js';

/** How a file of a linked format (FormatLink) is being processed. */
export interface Pairing {
  /** For a companion: what its primary published. Absent: the companion is alone. */
  links?: ReadonlyMap<string, Buffer>;
  /** For a primary: whether a companion is processed with it. */
  hasCompanion?: boolean;
  /** For a primary without one: the companion of its key went with this other primary (display paths). */
  pairedElsewhere?: { companion: string; primary: string };
  /** For a companion: the primaries that carry its key, none clearly its own (display paths); it is skipped. */
  ambiguous?: string[];
  /** The file's stat taken before the pairing pass read it, so its atime can be restored. */
  before?: BigIntStats;
}

/** A file of a linked format, met in the first pass: held back until every key is known. */
export interface LinkInfo {
  /** Taken before reading, to restore the atime later. */
  stat: BigIntStats;
  role: 'primary' | 'companion';
  key?: string;
  /** A primary: the companion file name it references (FormatLink.names). */
  names?: string;
}

export interface Unit {
  /** A primary followed by the companions paired with it, or a single file. */
  members: number[];
  /** No "unpaired" warning for this primary: a companion of its key is in the run. */
  keyHasCompanion: boolean;
  /** A primary whose key's companion went with another primary: that companion and that primary. */
  pairedElsewhere?: [number, number];
  /** A companion whose key no primary has now; it may match a primary's key after normalization. */
  orphanKey?: string;
  /** A companion left alone: all these primaries carry its key and none is clearly its own. */
  ambiguous?: number[];
}

/**
 * Group the held-back files into units: each companion goes with a primary of the same
 * key, every other file is alone. Among several primaries of one key (two builds side by
 * side, a file and a patched copy of it) the companion goes with the one that names it
 * (FormatLink.names), then one in its folder, then one with its base name (app.exe for
 * app.pdb); each rule narrows the choice only if some primary fits it. If that leaves
 * more than one, the companion is not paired at all. Only paths and contents decide,
 * never which file was read first, so the same tree always pairs the same way.
 */
export function pairUnits(files: readonly WalkFile[], infos: ReadonlyMap<number, LinkInfo>): Unit[] {
  const alone = (i: number): Unit => ({ members: [i], keyHasCompanion: false });
  const order = [...infos.keys()].sort((a, b) => a - b);
  const groups = new Map<string, { primaries: number[]; companions: number[] }>();
  for (const i of order) {
    const k = infos.get(i)!;
    if (k.key === undefined) continue;
    const g = groups.get(k.key) ?? { primaries: [], companions: [] };
    (k.role === 'primary' ? g.primaries : g.companions).push(i);
    groups.set(k.key, g);
  }
  const folder = (i: number) => pathKey(dirOf(files[i].path));
  const name = (i: number) => toBytes(baseOf(files[i].path)).toString('utf8').toLowerCase();
  const stem = (i: number) => name(i).replace(/\.[^.]*$/, '');
  const choose = (c: number, primaries: number[]): number[] => {
    const rules = [(p: number) => infos.get(p)!.names?.toLowerCase() === name(c), (p: number) => folder(p) === folder(c), (p: number) => stem(p) === stem(c)];
    let left = primaries;
    for (const fits of rules) {
      const narrowed = left.filter(fits);
      if (narrowed.length > 0) left = narrowed;
    }
    return left;
  };
  const unitOf = new Map<number, Unit>();
  for (const [key, { primaries, companions }] of groups) {
    for (const p of primaries) unitOf.set(p, alone(p));
    let paired: [number, number] | undefined;
    let refused = false;
    for (const c of companions) {
      const chosen = choose(c, primaries);
      if (chosen.length === 0) unitOf.set(c, { ...alone(c), orphanKey: key });
      else if (chosen.length > 1) {
        unitOf.set(c, { ...alone(c), ambiguous: chosen });
        refused = true;
      } else {
        unitOf.get(chosen[0])!.members.push(c);
        paired ??= [c, chosen[0]];
      }
    }
    for (const p of primaries) {
      const u = unitOf.get(p)!;
      u.keyHasCompanion = u.members.length > 1 || refused;
      if (!u.keyHasCompanion && paired) u.pairedElsewhere = paired;
    }
  }
  // A companion belongs to its primary's unit wherever it sorts (00-app.pdb before app.exe).
  const owner = new Map<number, Unit>();
  for (const u of unitOf.values()) for (const m of u.members) owner.set(m, u);
  const units: Unit[] = [];
  const placed = new Set<number>();
  for (const i of order) {
    if (placed.has(i)) continue;
    const u = owner.get(i) ?? alone(i);
    u.members.forEach((m) => placed.add(m));
    units.push(u);
  }
  return units;
}
