// Bundles the CLI's front (src/cli: commander, the command modules, the admin API client) into one
// CommonJS file, dist/cli/main.cjs, the package's bin. Run by `npm run build` after tsc;
// `node scripts/build-cli.mjs`.
//
// Why: a command's start-up is most of its time, and loading ~50 small ES modules one file at a
// time costs more than the code in them; so does the ES module loader itself, for the ~15 chunks
// a split ES bundle loaded (docs/performance.md, "CLI start-up"). One CommonJS file keeps the
// laziness of the source without files: esbuild wraps each module reached by `await import()`
// (every command module, program.ts) so that it runs only when imported, and everything a command
// imports with `await import()` from outside src/cli (the server, the database, zod) stays
// external: it is loaded from tsc's output in dist/, unbundled, exactly as `keyhold serve` has
// always run it.
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const cliSrc = join(src, 'cli');
const outdir = join(root, 'dist', 'cli');

/** The dist/ file tsc wrote for a src/ file, as a specifier relative to dist/cli/ (where every chunk is). */
function distSpecifier(file) {
  const target = join(root, 'dist', relative(src, file)).replace(/\.ts$/, '.js');
  const specifier = relative(outdir, target).split(sep).join('/');
  return specifier.startsWith('.') ? specifier : `./${specifier}`;
}

/**
 * Which modules stay out of the bundle:
 * - what src/cli imports with `await import()` from outside src/cli: the server's code, loaded
 *   when a command needs it, from dist/ as tsc wrote it;
 * - src/errors/: the CLI's error report tests `instanceof ProcessError`, and errors thrown by the
 *   server's code (loaded from dist/) must meet the same class, not a bundled copy of it.
 * Everything else the CLI imports statically from outside src/cli must be plain values (lists of
 * categories, roles, …): a copied class would break `instanceof` the same way, so the build
 * refuses one.
 */
const lazyServer = {
  name: 'keyhold-lazy-server',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(src)) return undefined;
      const file = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      if (file.startsWith(cliSrc + sep)) return undefined;
      const errors = file.startsWith(join(src, 'errors') + sep);
      if (args.kind === 'dynamic-import' || errors) return { path: distSpecifier(file), external: true };
      return undefined;
    });
    // Packages stay where npm put them, all but commander, which every command line but --version
    // needs: bundling one would hide it from test/e2e/cli-start.test.ts, which watches what loads
    // from node_modules (zod bundled into a command's chunk would cost as much as zod imported).
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path === 'commander' || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
    // commander loads node:child_process when it loads (a good part of its own start-up), for
    // one thing only: executable subcommands (`git-style` commands run as separate programs),
    // which keyhold has none of. Give it node:child_process loaded on first use instead.
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[/\\]node_modules[/\\]commander[/\\]/.test(args.importer)
        ? { path: 'lazy-child-process', namespace: 'keyhold' }
        : undefined,
    );
    b.onLoad({ filter: /^lazy-child-process$/, namespace: 'keyhold' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });",
      loader: 'js',
    }));
    // The version is read from package.json when the bundle is built (src/version.ts reads it at
    // run time through a path relative to dist/, which the bundle does not live at).
    b.onLoad({ filter: /[/\\]src[/\\]version\.ts$/ }, () => {
      const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      return { contents: `export const VERSION: string = ${JSON.stringify(version)};`, loader: 'ts' };
    });
  },
};

/** The chunks of the split ES-module bundle earlier builds wrote (`vault-XXXXXXXX.js`); tsc's names are lower case. */
const OLD_CHUNK = /-[A-Z0-9]{8}\.js(\.map)?$/;

/** Builds the CLI bundle; resolves to the list of files written (relative to the repository). */
export async function buildCli() {
  // tsc's unbundled main.js is not an entry point: the bundle is.
  for (const name of readdirSync(outdir)) {
    if (OLD_CHUNK.test(name) || name === 'main.js' || name === 'main.js.map') rmSync(join(outdir, name));
  }
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: ['node20'],
    // In dist/cli/: the external modules' paths are relative to it. `.cjs`: the package is "type":
    // "module". A static import of an external ES module (src/errors/) becomes a require() of it,
    // which Node loads since 20.19 (the package's engines).
    outfile: join(outdir, 'main.cjs'),
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [lazyServer],
  });
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (!file.startsWith('src/') || file.startsWith('src/cli/')) continue;
    if (/^\s*(export\s+)?(abstract\s+)?class\s/m.test(readFileSync(join(root, file), 'utf8'))) {
      throw new Error(
        `${file} declares a class and is bundled into the CLI (imported statically from src/cli, ${input.bytes} bytes): import it with await import() where it is used, or keep it external in scripts/build-cli.mjs`,
      );
    }
  }
  // The package's bin: `npm install -g .` and `npm link` point `keyhold` at it, run by its #! line.
  chmodSync(join(outdir, 'main.cjs'), 0o755);
  return Object.keys(result.metafile.outputs).filter((f) => !f.endsWith('.map'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildCli();
  console.log(`CLI bundled: ${files.join(', ')}`);
}
