// The CLI reads common command lines with yargs-parser alone (cli.ts quickArgs), and loads
// yargs only for the rest. Both readings must agree: for each line the quick path takes,
// yargs is asked too (its command handler receives what it parsed), and the command and
// every flag must come out the same. Lines the quick path must leave to yargs (help,
// explain, mistakes yargs words itself) must come back undefined.
import t from 'tap';
import { quickArgs, yargsArgs, type Command } from '../src/cli.js';

/** Every spelling a handler may read a flag by: the name, its camelCase form, its alias. */
const FLAGS = [
  'epoch', 'clamp', 'jobs', 'j', 'include', 'exclude', 'formats', 'json', 'quiet', 'q', 'verbose', 'v',
  'remap-path', 'remapPath', 'set-mtime', 'setMtime', 'recompress',
  'pe-timestamp', 'peTimestamp', 'pdb-path', 'pdbPath', 'zip-order', 'zipOrder', 'gzip-name', 'gzipName',
];

async function viaYargs(args: string[]): Promise<{ command: Command; argv: Record<string, unknown> }> {
  let seen: { command: Command; argv: Record<string, unknown> } | undefined;
  await yargsArgs(args, async (command, argv) => {
    seen = { command, argv: argv as unknown as Record<string, unknown> };
    return 0;
  });
  if (!seen) throw new Error(`yargs ran no command for ${args.join(' ')}`);
  return seen;
}

const pick = (argv: Record<string, unknown>) => Object.fromEntries(FLAGS.map((f) => [f, argv[f]]));

t.test('the quick path reads a line as yargs does', async (t) => {
  const lines: string[][] = [
    ['build/'],
    ['-q', 'empty/'],
    ['a', 'b', 'c'],
    ['check', 'out/', 'more/'],
    ['normalize', '-v', 'x'],
    ['check'],
    [],
    ['x', 'check'],
    ['--epoch', '1700000000', '--clamp', 'dir'],
    ['--epoch=2024-01-01T00:00:00Z', 'dir'],
    ['-j', '3', 'dir'],
    ['--jobs=8', '--set-mtime', 'dir'],
    ['--include', '*.a', '--include', '*.jar', '--exclude', 'tmp/**', 'dir'],
    ['--formats', 'ar,gzip', '--formats', 'no-zip', 'dir'],
    ['--remap-path', '/build/a=/build/b', '--remap-path=/x=/y', 'dir'],
    ['--recompress', 'never', '--zip-order', 'name', '--pe-timestamp', 'epoch', '--pdb-path', 'basename', '--gzip-name', 'drop', 'dir'],
    ['--json', '--no-clamp', 'dir'],
    ['--json', 'maybe', 'dir'],
    ['-qv', 'dir'],
    ['--quiet=false', 'dir'],
    ['-j', '0', 'dir'],
    ['--epoch', 'soon', 'dir'],
    ['123', '0x10', '1e3'],
    ['formats'],
    ['formats', '--json'],
    ['--formats', 'ar', 'formats'],
  ];
  for (const line of lines) {
    const quick = quickArgs(line);
    t.ok(quick, `quick path takes: ${line.join(' ') || '(nothing)'}`);
    if (!quick) continue;
    const full = await viaYargs(line);
    t.same(quick.command, full.command, `${line.join(' ')}: the same command`);
    t.same(pick(quick.argv as unknown as Record<string, unknown>), pick(full.argv), `${line.join(' ')}: the same flags`);
  }
});

t.test('lines the quick path leaves to yargs', async (t) => {
  const lines: string[][] = [
    ['--help'],
    ['-h'],
    ['-qh', 'dir'],
    ['--version', 'dir'],
    ['explain', 'a.exe'],
    ['explain', 'a', 'b'],
    ['formats', 'extra'],
    ['--no-such-option', 'dir'],
    ['-x', 'dir'],
    ['--recompress', 'sometimes', 'dir'],
    ['--recompress', 'auto', '--recompress', 'never', 'dir'],
    ['--zip-order', 'random', 'dir'],
    ['--epoch', '1', '--epoch', '2', 'dir'],
    ['-j', 'many', 'dir'],
    ['--', '-dir-with-dash'],
    ['--foo.bar', 'dir'],
  ];
  for (const line of lines) t.equal(quickArgs(line), undefined, line.join(' '));
});

t.test('--version alone is answered without yargs', async (t) => {
  t.same(quickArgs(['--version'])?.command, { name: 'version' });
});
