#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node, CPU) side of the peer benchmark; prints one JSON object on stdout.
//
//   node bench/models/ort_bench.mjs MODEL [--input [NAME=]FILE.pb]... [--random [--seed N]]
//                                   [--threads T] [--warmup W] [--runs R] [--output DIR] [--profile]
//   node bench/models/ort_bench.mjs --baseline
//
// Session options: graphOptimizationLevel "all", intraOpNumThreads T (default 1), interOpNumThreads 1,
// executionMode "sequential". Inputs are ONNX TensorProto files (what `edgerun run --input` reads), given in the
// model's input order or as NAME=FILE; --random fills the rest with seeded uniform [0, 1) floats (dynamic dims
// become 1). Run 1 is the first run; runs 1..W are warmup and the last R runs are timed (with W = 0, the first run
// is one of the timed ones), the same convention as `edgerun run`. --output DIR writes DIR/output_<i>.pb in the
// model's output order (the first run's outputs). --profile: after the timed runs, a second session with ORT's
// profiler (enableProfiling) runs W + R more times and "profile" lists its nodes in execution order with the median
// kernel time of the last R runs: [{"name","op_type","ms","percent"}] (ORT's node names after its graph fusions;
// compare with `edgerun bench MODEL --profile --json`).
//
// JSON: {"model","backend":"onnxruntime-node","ort_version","threads","load_ms","first_run_ms",
//        "latency_ms":{"mean","p50","p90","p95","p99","min","max"},"fps","runs","warmup","peak_rss_mb",
//        "inputs":[{"name","type","dims"}],"outputs":[...]} (+ "profile" with --profile)
// load_ms is InferenceSession.create (read, graph optimization, kernel setup). peak_rss_mb is the process's VmHWM,
// which includes node's own memory and the mapped libonnxruntime: --baseline prints {"baseline_rss_mb"} of a node
// process that only loads onnxruntime-node, to subtract.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadOrt, ortVersion } from './ort_install.mjs';
import { DTYPES, readTensorProto, writeTensorProto } from './tensor_io.mjs';

function peakRssMb() {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

export function percentile(sorted, p) {
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  if (!sorted.length) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function usage(msg) {
  if (msg) console.error(`ort_bench: error: ${msg}`);
  const lines = fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
  const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
  console.error(header.map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(2);
}

function parseArgs(argv) {
  const o = { inputs: [], threads: 1, warmup: 0, runs: 1, random: false, seed: 0, output: null, baseline: false,
    profile: false };
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) usage(`${name} needs a non-negative integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--input') o.inputs.push(next());
    else if (a === '--threads') o.threads = num(a, next());
    else if (a === '--warmup') o.warmup = num(a, next());
    else if (a === '--runs') o.runs = num(a, next());
    else if (a === '--seed') o.seed = num(a, next());
    else if (a === '--output') o.output = next();
    else if (a === '--random') o.random = true;
    else if (a === '--baseline') o.baseline = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (!o.model) o.model = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!o.baseline && !o.model) usage('no model given');
  if (o.runs < 1) usage('--runs must be at least 1');
  if (o.threads < 1) o.threads = 1;
  return o;
}

// mulberry32: a small seeded generator, enough for benchmark inputs.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Per-node kernel times from ORT's profiler: a second session with enableProfiling runs `total` times; each node's
// median over the last `runs` runs, in execution order.
async function profileNodes(ort, model, threads, feeds, total, runs) {
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-')), 'p');
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  for (let r = 0; r < total; r++) await session.run(feeds);
  session.endProfiling();
  await session.release?.();
  const dir = path.dirname(prefix);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error(`ORT wrote no profile into ${dir}`);
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  const order = [];
  const byNode = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!byNode.has(name)) {
      byNode.set(name, { op_type: e.args?.op_name ?? '', us: [] });
      order.push(name);
    }
    byNode.get(name).us.push(e.dur);
  }
  const nodes = order.map((name) => {
    const { op_type, us } = byNode.get(name);
    const last = [...us.slice(-runs)].sort((a, b) => a - b);
    return { name, op_type, ms: last.length ? last[Math.floor((last.length - 1) / 2)] / 1000 : 0 };
  });
  const sum = nodes.reduce((a, n) => a + n.ms, 0);
  return nodes.map((n) => ({ ...n, ms: +n.ms.toFixed(4), percent: sum > 0 ? +((100 * n.ms) / sum).toFixed(2) : 0 }));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ort = loadOrt({ quiet: true });
  if (o.baseline) {
    console.log(JSON.stringify({ baseline_rss_mb: +peakRssMb().toFixed(1), ort_version: ortVersion({ quiet: true }) }));
    return;
  }

  const t0 = performance.now();
  const session = await ort.InferenceSession.create(o.model, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const loadMs = performance.now() - t0;

  const meta = session.inputMetadata ?? [];
  const feeds = {};
  const described = [];
  let positional = 0;
  for (const spec of o.inputs) {
    const eq = spec.indexOf('=');
    const hasName = eq > 0 && !spec.slice(0, eq).includes('/');
    const name = hasName ? spec.slice(0, eq) : session.inputNames[positional++];
    const file = hasName ? spec.slice(eq + 1) : spec;
    if (!session.inputNames.includes(name)) throw new Error(`model has no input '${name}' (inputs: ${session.inputNames})`);
    const t = readTensorProto(file);
    feeds[name] = new ort.Tensor(DTYPES[t.dtype][0], t.data, t.dims);
  }
  const rand = rng(o.seed);
  for (const [i, name] of session.inputNames.entries()) {
    if (feeds[name]) continue;
    if (!o.random) throw new Error(`no value for input '${name}' (give --input or --random)`);
    const m = meta[i] ?? {};
    const dims = (m.shape ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const count = dims.reduce((a, b) => a * b, 1);
    const type = m.type ?? 'float32';
    if (type !== 'float32') throw new Error(`--random: input '${name}' is ${type}; only float32 is generated`);
    const data = new Float32Array(count);
    for (let k = 0; k < count; k++) data[k] = rand();
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  for (const name of session.inputNames) described.push({ name, type: feeds[name].type, dims: feeds[name].dims });

  const total = o.warmup + o.runs;
  const times = [];
  let firstOutputs = null;
  let firstRunMs = 0;
  for (let r = 0; r < total; r++) {
    const s = performance.now();
    const out = await session.run(feeds);
    const ms = performance.now() - s;
    if (r === 0) {
      firstOutputs = out;
      firstRunMs = ms;
    }
    if (r >= total - o.runs) times.push(ms);
  }

  const outputs = [];
  if (o.output) fs.mkdirSync(o.output, { recursive: true });
  for (const [i, name] of session.outputNames.entries()) {
    const t = firstOutputs[name];
    outputs.push({ name, type: t.type, dims: t.dims });
    if (o.output) writeTensorProto(path.join(o.output, `output_${i}.pb`), name, t.type, t.dims, t.data);
  }

  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const r3 = (x) => +x.toFixed(3);
  const result = {
    model: o.model,
    backend: 'onnxruntime-node',
    ort_version: ortVersion({ quiet: true }),
    threads: o.threads,
    load_ms: r3(loadMs),
    first_run_ms: r3(firstRunMs),
    latency_ms: {
      mean: r3(mean),
      p50: r3(percentile(sorted, 50)),
      p90: r3(percentile(sorted, 90)),
      p95: r3(percentile(sorted, 95)),
      p99: r3(percentile(sorted, 99)),
      min: r3(sorted[0]),
      max: r3(sorted[sorted.length - 1]),
    },
    fps: +(1000 / mean).toFixed(2),
    runs: o.runs,
    warmup: o.warmup,
    peak_rss_mb: +peakRssMb().toFixed(1),
    inputs: described,
    outputs,
  };
  await session.release?.();
  if (o.profile) result.profile = await profileNodes(ort, o.model, o.threads, feeds, total, o.runs);
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(`ort_bench: error: ${e.message ?? e}`);
  process.exit(1);
});
