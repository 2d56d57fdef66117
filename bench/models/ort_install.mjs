// Finds onnxruntime-node for the peer benchmark, installing it into bench/models/node_modules on first use.
//
// The version is the one pinned in bench/models/package.json. --ignore-scripts: the package's postinstall only
// downloads CUDA libraries; the CPU libonnxruntime.so ships inside the package. Offline, an existing install of
// the same version in $EDGERUN_NPM_DIR (default <repo>/.cache/npm, what scripts/setup.sh installs) is used instead.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(BENCH_DIR, '..', '..');
const WANTED = JSON.parse(fs.readFileSync(path.join(BENCH_DIR, 'package.json'), 'utf8')).dependencies['onnxruntime-node'];

function installedVersion(prefix) {
  try {
    const pkg = path.join(prefix, 'node_modules', 'onnxruntime-node', 'package.json');
    return JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
  } catch {
    return null;
  }
}

// Returns the directory whose node_modules holds onnxruntime-node@WANTED; installs it when missing.
// quiet: no progress message (ort_bench.mjs runs as a child of compare.mjs, which installs first).
export function ortPrefix({ quiet = false } = {}) {
  if (installedVersion(BENCH_DIR) === WANTED) return BENCH_DIR;
  if (!quiet) console.error(`bench: installing onnxruntime-node@${WANTED} into ${path.join(BENCH_DIR, 'node_modules')}`);
  const npm = spawnSync('npm', ['install', '--ignore-scripts', '--no-package-lock', '--no-audit', '--no-fund',
    '--loglevel=error'], { cwd: BENCH_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
  if (npm.status === 0 && installedVersion(BENCH_DIR) === WANTED) return BENCH_DIR;
  const fallback = process.env.EDGERUN_NPM_DIR || path.join(REPO, '.cache', 'npm');
  if (installedVersion(fallback) === WANTED) {
    if (!quiet) console.error(`bench: npm install failed; using onnxruntime-node@${WANTED} from ${fallback}`);
    return fallback;
  }
  const why = npm.error ? `npm not found (${npm.error.code})` : `npm install exited with ${npm.status}`;
  throw new Error(`onnxruntime-node@${WANTED} is not installed and could not be installed (${why}). On a machine ` +
    `with access to the npm registry run: (cd ${BENCH_DIR} && npm install --ignore-scripts --no-package-lock), ` +
    `or copy such a node_modules folder there.`);
}

export function loadOrt(opts) {
  const prefix = ortPrefix(opts);
  return createRequire(path.join(prefix, 'package.json'))('onnxruntime-node');
}

export function ortVersion(opts) {
  return installedVersion(ortPrefix(opts));
}
