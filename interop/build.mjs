// Bundles src/page.js with matrix-js-sdk and livekit-client into dist/page.js (ESM, for the browser), and
// livekit-client's E2EE worker into dist/e2ee-worker.js (a classic worker script). Run as a script
// (`node build.mjs`) or call ensureBuilt() from the driver, which rebuilds only when a source is newer.

import { build } from "esbuild";
import { statSync, existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, "src", "page.js");
const out = join(here, "dist", "page.js");
const workerOut = join(here, "dist", "e2ee-worker.js");

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** Reports whether a bundle is missing or older than any source it is built from. */
export function stale() {
  const built = Math.min(mtime(out), mtime(workerOut));
  if (built === 0) return true;
  const sources = [
    join(here, "build.mjs"),
    join(here, "package-lock.json"),
    ...readdirSync(join(here, "src")).map((f) => join(here, "src", f)),
  ];
  return sources.some((s) => mtime(s) > built);
}

const common = {
  bundle: true,
  platform: "browser",
  target: "chrome120",
  define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
  logLevel: "warning",
  sourcemap: false,
};

/** Builds the page bundle and the E2EE worker. */
export async function bundle() {
  await Promise.all([
    build({ ...common, entryPoints: [entry], outfile: out, format: "esm" }),
    build({
      ...common,
      stdin: { contents: 'import "livekit-client/e2ee-worker";', resolveDir: here, loader: "js" },
      outfile: workerOut,
      format: "iife",
    }),
  ]);
}

/** Builds the bundles if they are stale; returns their paths ({page, worker}). */
export async function ensureBuilt() {
  if (stale()) await bundle();
  return { page: out, worker: workerOut };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle();
  console.log(`built ${out} and ${workerOut}`);
}
