// Extended attributes (ACLs among them: system.posix_acl_access) for a whole-file rewrite,
// which must give its new file every attribute the original had. Node has no xattr API,
// so this runs getfattr and setfattr (package attr) on /proc/<pid>/fd/<n>: the files
// already open, whatever happens to their names meanwhile. Without those tools there is
// no way to tell whether a file has attributes at all, so a rewrite then fails instead
// of dropping them unseen.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { NotWritten } from './errors.js';

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const MISSING = 'needs getfattr and setfattr (package attr) to keep its extended attributes and ACLs, and they are not installed';

/** A word for sh, quoted so that nothing in it is expanded. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * One /bin/sh, started at the first rewrite and kept, that runs the tools one at a time:
 * spawning from Node blocks its thread about 8 ms per process (a fork of a big process),
 * 1.6 s for the 192 rewrites of a tree of 3,656 files; the shell forks them for a fraction
 * of that, off Node's thread. Each command's output ends with a line holding a mark of this
 * run and the exit status; a command not found (status 127) means the tools are missing.
 */
class Shell {
  private child?: ChildProcessWithoutNullStreams;
  private stdout = '';
  private stderr = '';
  private waiting?: { resolve(r: ToolRun): void; reject(e: Error): void };
  private queue: Promise<unknown> = Promise.resolve();
  private mark = '';

  run(argv: string[], input = ''): Promise<ToolRun> {
    const result = this.queue.then(() => this.exec(argv, input));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private exec(argv: string[], input: string): Promise<ToolRun> {
    const child = this.child ?? this.start();
    const end = `${this.mark}EOF`;
    if (input.split('\n').includes(end)) return Promise.reject(new Error('the input holds the end mark'));
    return new Promise<ToolRun>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.hold(true);
      const body = input === '' || input.endsWith('\n') ? input : `${input}\n`;
      child.stdin.write(`${argv.map(quote).join(' ')} <<'${end}'\n${body}${end}\nprintf '\\n%s %s\\n' '${this.mark}' "$?"; printf '\\n%s\\n' '${this.mark}' >&2\n`);
    }).finally(() => this.hold(false));
  }

  private start(): ChildProcessWithoutNullStreams {
    // Loaded on first use: a run that rewrites no file never spawns (issue 17).
    this.mark ||= `@unstamp-${process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex')}@`;
    const p = process.getBuiltinModule('node:child_process').spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    p.stdout.setEncoding('latin1').on('data', (d: string) => ((this.stdout += d), this.settle()));
    p.stderr.setEncoding('utf8').on('data', (d: string) => ((this.stderr += d), this.settle()));
    p.on('error', (e: NodeJS.ErrnoException) => this.child === p && this.fail(e.code === 'ENOENT' ? new NotWritten(MISSING) : e));
    p.on('close', () => this.child === p && this.fail(new Error('the shell running getfattr and setfattr ended')));
    p.stdin.on('error', () => undefined);
    this.child = p;
    this.hold(false);
    return p;
  }

  /** Keep the process alive only while a command runs: an idle shell must not hold up the exit. */
  private hold(on: boolean): void {
    const p = this.child;
    if (!p) return;
    for (const h of [p, p.stdin, p.stdout, p.stderr] as { ref(): void; unref(): void }[]) on ? h.ref() : h.unref();
  }

  private settle(): void {
    const done = new RegExp(`\\n${this.mark} (\\d+)\\n`).exec(this.stdout);
    const errEnd = this.stderr.indexOf(`\n${this.mark}\n`);
    if (!done || errEnd < 0 || !this.waiting) return;
    const r: ToolRun = { code: Number(done[1]), stdout: this.stdout.slice(0, done.index), stderr: this.stderr.slice(0, errEnd) };
    this.stdout = this.stdout.slice(done.index + done[0].length);
    this.stderr = this.stderr.slice(errEnd + this.mark.length + 2);
    const w = this.waiting;
    this.waiting = undefined;
    if (r.code === 127) w.reject(new NotWritten(MISSING));
    else w.resolve(r);
  }

  private fail(e: Error): void {
    this.child = undefined;
    this.stdout = this.stderr = '';
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }
}

const shell = new Shell();
const runTool = (cmd: string, args: string[], input?: string): Promise<ToolRun> => shell.run([cmd, ...args], input);

/** Anything open by descriptor (a Handle). */
interface Open {
  readonly fd: number;
}

const fdPath = (fh: Open) => `/proc/${process.pid}/fd/${fh.fd}`;

/** The tool's complaint without its name and our /proc path (the report names the file). */
const complaint = (r: ToolRun) => r.stderr.trim().split('\n').pop()!.replace(/^[a-z]+: \/proc\/\d+\/fd\/\d+: /, '') || `exit ${r.code}`;

/**
 * Each file's attributes: name (as getfattr escapes it) -> its dump line `name=0x<hex>`.
 * One getfattr for both files: a rewrite of a tree of small archives pays one spawn each.
 */
async function attributes(files: Open[]): Promise<Map<string, string>[]> {
  const paths = files.map(fdPath);
  const r = await runTool('getfattr', ['--absolute-names', '--dump', '--match=-', '--encoding=hex', ...paths]);
  const out = paths.map(() => new Map<string, string>());
  if (r.code !== 0) {
    // A file system without extended attributes (the two files share one): nothing to keep.
    if (/Operation not supported/.test(r.stderr)) return out;
    throw new NotWritten(`cannot read its extended attributes: ${complaint(r)}`);
  }
  let current: Map<string, string> | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('# file: ')) current = out[paths.indexOf(line.slice(8))];
    else if (line !== '' && !line.startsWith('#')) {
      if (!current) throw new NotWritten(`cannot read its extended attributes: getfattr printed ${line.slice(0, 40)} outside a file`);
      const eq = line.indexOf('=');
      current.set(eq < 0 ? line : line.slice(0, eq), line);
    }
  }
  return out;
}

/**
 * Give `to` exactly the extended attributes of `from`: copy what differs, remove what
 * `to` got on its own (an ACL inherited from the folder's default ACL). One that cannot
 * be set fails the rewrite, naming it.
 */
export async function copyAttributes(from: Open, to: Open): Promise<void> {
  const [want, have] = await attributes([from, to]);
  for (const [name, line] of want) {
    if (have.get(name) === line) continue;
    const r = await runTool('setfattr', ['--restore=-'], `# file: ${fdPath(to)}\n${line}\n`);
    if (r.code !== 0 || r.stderr !== '') throw new NotWritten(`cannot keep extended attribute ${name}: ${complaint(r)}`);
  }
  for (const name of have.keys()) {
    if (want.has(name)) continue;
    const r = await runTool('setfattr', ['--remove', name, fdPath(to)]);
    if (r.code !== 0) throw new NotWritten(`cannot remove extended attribute ${name} the new file got and the original has not: ${complaint(r)}`);
  }
}
