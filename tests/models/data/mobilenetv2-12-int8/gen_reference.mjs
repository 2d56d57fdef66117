// Regenerates output_{0..5}.pb here: ONNX Runtime's outputs for shared/models/classification/mobilenetv2-12-int8
// on test_data_set_{0..5}/input_0.pb, computed on a CPU with AVX512-VNNI (see README.md for why that matters).
//   node tests/models/data/mobilenetv2-12-int8/gen_reference.mjs [models_dir]
// Needs onnxruntime-node in .cache/npm (scripts/setup.sh installs it).
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../../..');
const require = createRequire(path.join(repo, '.cache/npm/'));
const ort = require('onnxruntime-node');
const modelsDir = process.argv[2] || path.resolve(repo, '../shared/models');
const modelDir = path.join(modelsDir, 'classification/mobilenetv2-12-int8');

// TensorProto fields: dims = 1 (varint), data_type = 2 (varint), raw_data = 9 (bytes).
function varint(v) {
  const out = [];
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
  return out;
}
function readFloatTensor(file) {
  const b = fs.readFileSync(file);
  let p = 0;
  const dims = [];
  let raw = null;
  const rd = () => { let v = 0, m = 1; for (;;) { const x = b[p++]; v += (x & 0x7f) * m; m *= 128; if (!(x & 0x80)) return v; } };
  while (p < b.length) {
    const key = rd(), f = Math.floor(key / 8), wt = key & 7;
    if (wt === 0) { const v = rd(); if (f === 1) dims.push(v); }
    else if (wt === 2) { const n = rd(); if (f === 1) { const e = p + n; while (p < e) dims.push(rd()); } else if (f === 9) raw = b.subarray(p, p + n); p += n; }
    else if (wt === 5) p += 4; else if (wt === 1) p += 8; else throw new Error(`${file}: bad wire type`);
  }
  if (!raw) throw new Error(`${file}: no raw_data`);
  const data = new Float32Array(raw.length / 4);
  new Uint8Array(data.buffer).set(raw);
  return { dims, data };
}
function writeFloatTensor(file, dims, data) {
  const bytes = [];
  for (const d of dims) bytes.push(...varint(1 << 3), ...varint(d));
  bytes.push(...varint(2 << 3), 1);
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(bytes), Buffer.from([(9 << 3) | 2, ...varint(raw.length)]), raw]));
}

const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), { intraOpNumThreads: 1 });
for (let i = 0; ; ++i) {
  const input = path.join(modelDir, `test_data_set_${i}`, 'input_0.pb');
  if (!fs.existsSync(input)) break;
  const x = readFloatTensor(input);
  const out = await session.run({ input: new ort.Tensor('float32', x.data, x.dims) });
  writeFloatTensor(path.join(here, `output_${i}.pb`), out.output.dims, out.output.data);
  console.log(`output_${i}.pb`, out.output.dims.join('x'));
}
