// The iteration order of an llvm::StringMap (LLVM 14, as in lld 14): lld writes the /names
// hash buckets and the DBI file info names in that order, which follows a hash of each
// name, so a remapped name moves. unstamp lays them out again in the order lld would have
// used for the new names: the result is one function of the new names, whichever folder
// each build came from. Facts from llvm/lib/Support/StringMap.cpp (LookupBucketFor,
// RehashTable) and llvm/Support/DJB.h.

/** djbHash(Name, 0): StringMapImpl::LookupBucketFor's full hash. */
export function djbHash0(b: Buffer): number {
  let h = 0;
  for (const c of b) h = (Math.imul(h, 33) + c) >>> 0;
  return h;
}

/**
 * The indices of `keys`, inserted in this order into an empty StringMap (16 buckets on
 * first insert, quadratic probing, doubled when more than 3/4 full, rehashed bucket by
 * bucket), in the order the map iterates them. Equal keys are inserted once.
 */
export function stringMapOrder(keys: readonly Buffer[]): number[] {
  let size = 0;
  let table: ({ hash: number; key: number } | undefined)[] = [];
  let items = 0;
  for (let k = 0; k < keys.length; k++) {
    if (size === 0) {
      size = 16;
      table = new Array(size).fill(undefined);
    }
    const hash = djbHash0(keys[k]);
    let bucket = hash & (size - 1);
    let probe = 1;
    let found = false;
    for (let e = table[bucket]; e !== undefined; e = table[bucket]) {
      if (e.hash === hash && keys[e.key].equals(keys[k])) {
        found = true;
        break;
      }
      bucket = (bucket + probe++) & (size - 1);
    }
    if (found) continue;
    table[bucket] = { hash, key: k };
    items++;
    if (items * 4 > size * 3) {
      const grown = size * 2;
      const next: typeof table = new Array(grown).fill(undefined);
      for (const e of table) {
        if (!e) continue;
        let b = e.hash & (grown - 1);
        for (let p = 1; next[b] !== undefined; p++) b = (b + p) & (grown - 1);
        next[b] = e;
      }
      table = next;
      size = grown;
    }
  }
  return table.filter((e) => e !== undefined).map((e) => e!.key);
}
