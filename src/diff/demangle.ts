// Symbol names as a person reads them: C++ (Itanium `_Z...`), Rust (legacy `_ZN...E` and v0
// `_R...`) and MSVC (`?...`) names are demangled by llvm-cxxfilt, else c++filt, when one is
// installed: one process per batch of names, every name on its own line. Without one,
// names stay as the symbol table has them.
import { spawnSync } from 'node:child_process';

const TOOLS = ['llvm-cxxfilt', 'c++filt'];
/** Names that a demangler may change; C names go through untouched. */
const MANGLED = /^(?:_Z|__Z|_R|\?)/;

export class Demangler {
  private readonly known = new Map<string, string>();
  private tool: string | undefined | null = null;

  /** Demangle every new name of `names` in one run of the tool. */
  add(names: Iterable<string>): void {
    const fresh = [...new Set(names)].filter((n) => MANGLED.test(n) && !this.known.has(n) && !n.includes('\n'));
    if (fresh.length === 0) return;
    for (const n of fresh) this.known.set(n, n);
    const tool = this.which();
    if (!tool) return;
    const r = spawnSync(tool, [], { input: fresh.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
    if (r.status !== 0 || typeof r.stdout !== 'string') return;
    const lines = r.stdout.split('\n');
    // One line out per line in; anything else (a tool that prints more) is not trusted.
    if (lines.length < fresh.length) return;
    fresh.forEach((n, i) => {
      if (lines[i] !== '') this.known.set(n, lines[i]);
    });
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
