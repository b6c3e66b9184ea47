// Bundles src/page.js and matrix-js-sdk into dist/page.js (ESM, for the browser). Run as a script
// (`node build.mjs`) or call ensureBuilt() from the driver, which rebuilds only when a source is newer.

import { build } from "esbuild";
import { statSync, existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, "src", "page.js");
const out = join(here, "dist", "page.js");

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** Reports whether dist/page.js is missing or older than any source it is built from. */
export function stale() {
  const built = mtime(out);
  if (built === 0) return true;
  const sources = [
    join(here, "build.mjs"),
    join(here, "package-lock.json"),
    ...readdirSync(join(here, "src")).map((f) => join(here, "src", f)),
  ];
  return sources.some((s) => mtime(s) > built);
}

/** Builds the bundle. */
export async function bundle() {
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
    logLevel: "warning",
    sourcemap: false,
  });
}

/** Builds the bundle if it is stale. */
export async function ensureBuilt() {
  if (stale()) await bundle();
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle();
  console.log(`built ${out}`);
}
