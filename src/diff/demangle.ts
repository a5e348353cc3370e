// Symbol names as a person reads them: C++ (Itanium `_Z...`), Rust (legacy `_ZN...E` and v0
// `_R...`) and MSVC (`?...`) names are demangled by llvm-cxxfilt, else c++filt, when one is
// installed: one process per batch of names, every name on its own line. Without one,
// names stay as the symbol table has them. MSVC names (PDB public symbols) go to
// llvm-undname first where it is installed: llvm-cxxfilt before LLVM 15 leaves them as they are.
import { spawnSync } from 'node:child_process';

const TOOLS = ['llvm-cxxfilt', 'c++filt'];
const UNDNAME = 'llvm-undname';
/** As llvm-cxxfilt prints Itanium names: no return type, calling convention or access. */
const UNDNAME_FLAGS = ['--no-calling-convention', '--no-return-type', '--no-access-specifier', '--no-member-type', '--no-variable-type'];
/** Names per run of llvm-undname, which takes them as arguments. */
const UNDNAME_BATCH = 256;
/** Names that a demangler may change; C names go through untouched. */
const MANGLED = /^(?:_Z|__Z|_R|\?)/;

export class Demangler {
  private readonly known = new Map<string, string>();
  private tool: string | undefined | null = null;
  private hasUndname: boolean | undefined;

  /** Demangle every new name of `names` in one run of the tool. */
  add(names: Iterable<string>): void {
    const fresh = [...new Set(names)].filter((n) => MANGLED.test(n) && !this.known.has(n) && !n.includes('\n'));
    if (fresh.length === 0) return;
    for (const n of fresh) this.known.set(n, n);
    this.undname(fresh.filter((n) => n.startsWith('?')));
    const tool = this.which();
    if (!tool) return;
    const r = spawnSync(tool, [], { input: fresh.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
    if (r.status !== 0 || typeof r.stdout !== 'string') return;
    const lines = r.stdout.split('\n');
    // One line out per line in; anything else (a tool that prints more) is not trusted.
    if (lines.length < fresh.length) return;
    fresh.forEach((n, i) => {
      if (lines[i] !== '' && this.known.get(n) === n) this.known.set(n, lines[i]);
    });
  }

  /**
   * MSVC names through llvm-undname: it prints, per argument, the name, its demangled form
   * (none when it cannot), and an empty line; a block is trusted only if it starts with the name.
   */
  private undname(names: readonly string[]): void {
    if (names.length === 0 || this.hasUndname === false) return;
    for (let i = 0; i < names.length; i += UNDNAME_BATCH) {
      const batch = names.slice(i, i + UNDNAME_BATCH);
      const r = spawnSync(UNDNAME, [...UNDNAME_FLAGS, ...batch], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
      if (r.error) {
        this.hasUndname = false;
        return;
      }
      if (typeof r.stdout !== 'string') continue;
      for (const block of r.stdout.split('\n\n')) {
        const [name, demangled] = block.replace(/^\n+/, '').split('\n');
        if (demangled && batch.includes(name)) this.known.set(name, demangled);
      }
    }
  }

  name(raw: string): string {
    return this.known.get(raw) ?? raw;
  }

  private which(): string | undefined {
    if (this.tool !== null) return this.tool;
    this.tool = TOOLS.find((t) => spawnSync(t, [], { input: '', stdio: ['pipe', 'ignore', 'ignore'] }).error === undefined);
    return this.tool;
  }
}
