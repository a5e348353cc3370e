// The CLI as bin/unstamp.js loads it: dist/cli.js and its dependencies bundled by esbuild
// into dist/bundle/ (part of `npm run build`, after tsc). Start-up is most of a small run
// (issue 17): Node resolving, opening and compiling ~150 small modules one by one cost
// more than the work. Code splitting keeps every `await import()` a chunk of its own, so
// what a run does not use (explain's diff machinery, the progress bar, each format's
// planner) is still loaded only on first use. dist/cli.js and dist/index.js stay as tsc
// writes them, for the library and its types.
//
//   node scripts/bundle-cli.mjs
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import nodeModules from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/**
 * Dependencies of yargs that only its help text uses, and that do real work when imported
 * (string-width compiles an RGI_Emoji regex and an Intl.Segmenter, ~10 ms): each import is
 * replaced by a function that loads the module on its first call. A require() inside the
 * bundle is esbuild's lazily initialized copy of the module, evaluated when first reached;
 * it is resolved from the importing package, which may hold its own version.
 */
const LAZY = ['string-width', 'cliui'];
const lazyDependencies = {
  name: 'lazy-dependencies',
  setup(b) {
    const filter = new RegExp(`^(${LAZY.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' ? { path: path.relative(root, path.join(args.resolveDir, args.path)), namespace: 'lazy', pluginData: args.path } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: `export default function lazy(...args) { return require(${JSON.stringify(args.pluginData)}).default(...args); }`,
      resolveDir: path.join(root, path.dirname(args.path)),
      loader: 'js',
    }));
  },
};

/**
 * Each format loads its planner, rewrite and explain readers on first use (`import('./plan.js')`
 * in its index.ts). Split as they are, every one is an entry point of its own, and esbuild
 * puts each module that one of them shares with the start-up code (each format's spec.ts,
 * most of src/core) into a chunk of its own: some thirty files to resolve, open and
 * compile at every start. Here those imports all lead to one module holding every format's
 * parts, so the start-up code is a handful of files; a run that meets one format loads the
 * others' code with it, which costs a few milliseconds once.
 */
const FORMATS_LAZY = 'unstamp:formats-lazy';
const formatsDir = path.join(root, 'dist', 'formats');
const PART = /\bimport\((['"])\.\/([\w-]+)\.js\1\)/g;
const partName = (format, file) => `${format}_${file}`.replace(/\W/g, '_');
const lazyFormatParts = {
  name: 'lazy-format-parts',
  setup(b) {
    // Every part every format's index.js imports lazily, read before esbuild loads any.
    const parts = new Map();
    for (const format of readdirSync(formatsDir)) {
      const index = path.join(formatsDir, format, 'index.js');
      if (!existsSync(index)) continue;
      for (const [, , file] of readFileSync(index, 'utf8').matchAll(PART)) parts.set(partName(format, file), path.join(formatsDir, format, `${file}.js`));
    }
    b.onLoad({ filter: /[\\/]dist[\\/]formats[\\/][^\\/]+[\\/]index\.js$/ }, (args) => {
      const format = path.basename(path.dirname(args.path));
      const contents = readFileSync(args.path, 'utf8').replace(PART, (_, q, file) => `import(${JSON.stringify(FORMATS_LAZY)}).then((parts) => parts.${partName(format, file)})`);
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
    b.onResolve({ filter: new RegExp(`^${FORMATS_LAZY}$`) }, () => ({ path: FORMATS_LAZY, namespace: 'lazy-format-parts' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-format-parts' }, () => ({
      contents: [...parts].map(([name, file]) => `export * as ${name} from ${JSON.stringify(file)};`).join('\n'),
      loader: 'js',
      resolveDir: formatsDir,
    }));
  },
};

/**
 * Node's built-in modules taken as CommonJS exports objects (process.getBuiltinModule)
 * instead of imported: the ES module facade Node makes for a built-in reads every export,
 * which runs the lazy getters (fs.promises, fs.ReadStream, util.parseArgs, buffer.File...)
 * and loads modules a run never uses (~3 ms of CPU at every start). An import of names is
 * hoisted, and binds to values a built-in never changes, so one `const` at the top of the
 * chunk holds the same; anything else (a side-effect import) is left as it is.
 */
const BUILTIN_IMPORT = /^import (?:(\w+)|\* as (\w+)|\{([^}]*)\}) from "((?:node:)?[\w/]+)";\n/gm;
function builtinsAsObjects(text) {
  const taken = [];
  const rest = text.replace(BUILTIN_IMPORT, (whole, name, namespace, names, id) => {
    if (!nodeModules.isBuiltin(id)) return whole;
    const binding = name ?? namespace ?? `{ ${names.trim().replace(/\s+/g, ' ').replace(/ as /g, ': ')} }`;
    taken.push(`const ${binding} = process.getBuiltinModule(${JSON.stringify(id.startsWith('node:') ? id : `node:${id}`)});\n`);
    return '';
  });
  // After the banner's first line, before any code.
  const first = rest.indexOf('\n') + 1;
  return rest.slice(0, first) + taken.join('') + rest.slice(first);
}

rmSync(outdir, { recursive: true, force: true });
const { outputFiles } = await build({
  entryPoints: { cli: path.join(root, 'dist', 'cli.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  write: false,
  plugins: [lazyDependencies, lazyFormatParts],
  // The CommonJS dependencies (cli-progress) require Node's modules; an ES module has no
  // require. Every chunk gets this line, so the require is made on first call only.
  banner: { js: "const require = (id) => process.getBuiltinModule('node:module').createRequire(import.meta.url)(id);" },
  // The bundle has no package.json beside it to read its version from (cli.ts ownVersion).
  define: { UNSTAMP_VERSION: JSON.stringify(version) },
});
mkdirSync(outdir, { recursive: true });
for (const f of outputFiles) writeFileSync(f.path, builtinsAsObjects(f.text));

/**
 * The same CLI as one CommonJS script, dist/bundle/unstamp.cjs, for bin/unstamp.js to
 * compile through src/code-cache.cts with V8's code cache: one file to read, no ES module
 * loader to start, and, from the second run on, no parsing or compiling of what the cache
 * holds. esbuild keeps every `await import()` lazy (a module is evaluated on first use).
 * Its first line is `// unstamp <sha256 of the rest>`: the loader names its cache after it,
 * so a new build never meets the cache of an old one.
 */
const { outputFiles: [script] } = await build({
  entryPoints: [path.join(root, 'dist', 'cli.js')],
  outfile: path.join(outdir, 'unstamp.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  write: false,
  plugins: [lazyDependencies, lazyFormatParts],
  // A third less to read and hand to V8 at every start. Names are kept, so a stack trace
  // still says which function (and its column, which line).
  minifyWhitespace: true,
  minifySyntax: true,
  // CommonJS has no import.meta: yargs takes a path from it (see metaUrl below).
  define: { 'import.meta.url': '__unstamp_import_meta_url', UNSTAMP_VERSION: JSON.stringify(version) },
});
if (/\bimport\(/.test(script.text)) throw new Error('dist/bundle/unstamp.cjs: an import() is left, which a vm.Script cannot run');
// After the "use strict" directive, which must stay the first statement.
const metaUrl = 'const __unstamp_import_meta_url = require("node:url").pathToFileURL(__filename).href;\n';
const text = script.text.replace(/^"use strict";\n?/, (strict) => `${strict.trim()}\n${metaUrl}`);
if (!text.includes(metaUrl)) throw new Error('dist/bundle/unstamp.cjs: no "use strict" directive to put import.meta.url after');
const hash = createHash('sha256').update(text).digest('hex');
writeFileSync(script.path, `// unstamp ${hash}\n${text}`);
