// Extended attributes (ACLs among them: system.posix_acl_access) for a whole-file rewrite,
// which must give its new file every attribute the original had. Node has no xattr API,
// so this runs getfattr and setfattr (package attr) on /proc/<pid>/fd/<n>: the files
// already open, whatever happens to their names meanwhile. Without those tools there is
// no way to tell whether a file has attributes at all, so a rewrite then fails instead
// of dropping them unseen.
import type { FileHandle } from 'node:fs/promises';
import { NotWritten } from './errors.js';

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const MISSING = 'needs getfattr and setfattr (package attr) to keep its extended attributes and ACLs, and they are not installed';

function runTool(cmd: string, args: string[], input?: string): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    // Loaded on first use: a run that rewrites no file never spawns (issue 17).
    const p = process.getBuiltinModule('node:child_process').spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new NotWritten(MISSING) : e));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.on('error', () => undefined);
    p.stdin.end(input ?? '');
  });
}

const fdPath = (fh: FileHandle) => `/proc/${process.pid}/fd/${fh.fd}`;

/** The tool's complaint without its name and our /proc path (the report names the file). */
const complaint = (r: ToolRun) => r.stderr.trim().split('\n').pop()!.replace(/^[a-z]+: \/proc\/\d+\/fd\/\d+: /, '') || `exit ${r.code}`;

/**
 * Each file's attributes: name (as getfattr escapes it) -> its dump line `name=0x<hex>`.
 * One getfattr for both files: a rewrite of a tree of small archives pays one spawn each.
 */
async function attributes(files: FileHandle[]): Promise<Map<string, string>[]> {
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
export async function copyAttributes(from: FileHandle, to: FileHandle): Promise<void> {
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
