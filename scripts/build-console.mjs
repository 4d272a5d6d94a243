// Builds the web console (console/) into dist/console/: one minified ES module and one
// stylesheet, both named by a hash of their content (served with a long cache), and an
// index.html that names them (served with no-store, so a new build is picked up at once).
// Run by `npm run build` after tsc; `node scripts/build-console.mjs [outDir]`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the console into `outDir` (dist/console by default); resolves to the asset names. */
export async function buildConsole(outDir = join(root, 'dist', 'console')) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'console/src/main.tsx', styles: 'console/styles.css' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: join(outDir, 'assets'),
    write: false,
    metafile: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'assets'), { recursive: true });
  const names = {};
  for (const file of result.outputFiles) {
    writeFileSync(file.path, file.contents);
    const name = file.path.slice(join(outDir, 'assets').length + 1);
    names[name.endsWith('.css') ? 'css' : 'js'] = name;
  }
  if (!names.js || !names.css) throw new Error('the console build produced no script or no stylesheet');
  const html = readFileSync(join(root, 'console', 'index.html'), 'utf8')
    .replace('%SCRIPT%', `/console/assets/${names.js}`)
    .replace('%STYLESHEET%', `/console/assets/${names.css}`);
  writeFileSync(join(outDir, 'index.html'), html);
  const digest = createHash('sha256').update(html).digest('hex').slice(0, 12);
  return { ...names, outDir, index: digest };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildConsole(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`console built in ${built.outDir}: ${built.js}, ${built.css}`);
}
