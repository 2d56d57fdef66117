// ONNX TensorProto (.pb) reading and writing for the peer benchmark: the files edgerun reads with
// `run --input` and writes with `run --output`. Wire format fields used: dims = 1 (int64, packed or not),
// data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, name = 8, raw_data = 9, double_data = 10.

import fs from 'node:fs';

// ONNX data type -> [ORT type name, typed array]
export const DTYPES = {
  1: ['float32', Float32Array],
  2: ['uint8', Uint8Array],
  3: ['int8', Int8Array],
  6: ['int32', Int32Array],
  7: ['int64', BigInt64Array],
  9: ['bool', Uint8Array],
  11: ['float64', Float64Array],
};
const ONNX_TYPE = Object.fromEntries(Object.entries(DTYPES).map(([k, [n]]) => [n, Number(k)]));

function readVarint(buf, state) {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (state.pos >= buf.length) throw new Error('truncated varint');
    const b = buf[state.pos++];
    value |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return value;
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

function signed64(v) { return BigInt.asIntN(64, v); }

// Returns {name, dtype (ONNX number), dims: number[], data: TypedArray}.
export function readTensorProto(file) {
  const buf = fs.readFileSync(file);
  const st = { pos: 0 };
  const dims = [];
  let dtype = 0;
  let name = '';
  let raw = null;
  const floats = [];
  const ints = [];
  const doubles = [];
  while (st.pos < buf.length) {
    const key = Number(readVarint(buf, st));
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) {
      const v = readVarint(buf, st);
      if (field === 1) dims.push(Number(signed64(v)));
      else if (field === 2) dtype = Number(v);
      else if (field === 5 || field === 7) ints.push(signed64(v));
    } else if (wire === 2) {
      const len = Number(readVarint(buf, st));
      const body = buf.subarray(st.pos, st.pos + len);
      if (st.pos + len > buf.length) throw new Error(`${file}: truncated field ${field}`);
      st.pos += len;
      if (field === 8) name = body.toString('utf8');
      else if (field === 9) raw = body;
      else if (field === 1 || field === 5 || field === 7) {
        const sub = { pos: 0 };
        while (sub.pos < body.length) {
          const v = readVarint(body, sub);
          if (field === 1) dims.push(Number(signed64(v)));
          else ints.push(signed64(v));
        }
      } else if (field === 4) {
        for (let i = 0; i + 4 <= body.length; i += 4) floats.push(body.readFloatLE(i));
      } else if (field === 10) {
        for (let i = 0; i + 8 <= body.length; i += 8) doubles.push(body.readDoubleLE(i));
      }
    } else if (wire === 5) {
      if (field === 4) floats.push(buf.readFloatLE(st.pos));
      st.pos += 4;
    } else if (wire === 1) {
      if (field === 10) doubles.push(buf.readDoubleLE(st.pos));
      st.pos += 8;
    } else {
      throw new Error(`${file}: unsupported wire type ${wire}`);
    }
  }
  const t = DTYPES[dtype];
  if (!t) throw new Error(`${file}: unsupported data type ${dtype}`);
  const [, Arr] = t;
  const count = dims.reduce((a, b) => a * b, 1);
  let data;
  if (raw) {
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    data = new Arr(copy.buffer, 0, raw.length / Arr.BYTES_PER_ELEMENT);
  } else if (dtype === 1) {
    data = Float32Array.from(floats);
  } else if (dtype === 11) {
    data = Float64Array.from(doubles);
  } else if (dtype === 7) {
    data = BigInt64Array.from(ints);
  } else {
    data = Arr.from(ints, (v) => Number(v));
  }
  if (data.length !== count) throw new Error(`${file}: ${data.length} values for dims [${dims}]`);
  return { name, dtype, dims, data };
}

function varintBytes(v) {
  let x = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}

// type: ORT type name ('float32', ...); data: typed array. dims are written unpacked (ONNX is proto2).
export function writeTensorProto(file, name, type, dims, data) {
  const dtype = ONNX_TYPE[type];
  if (!dtype) throw new Error(`cannot write tensor '${name}' of type ${type}`);
  const parts = [];
  for (const d of dims) parts.push(Buffer.from([0x08, ...varintBytes(d)]));
  parts.push(Buffer.from([0x10, ...varintBytes(dtype)]));
  const nameBuf = Buffer.from(name, 'utf8');
  parts.push(Buffer.from([0x42, ...varintBytes(nameBuf.length)]), nameBuf);
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  parts.push(Buffer.from([0x4a, ...varintBytes(raw.length)]), raw);
  fs.writeFileSync(file, Buffer.concat(parts));
}

// Largest |a - b| relative to the largest |b| (the reference's scale); per-element relative errors blow up near
// zero and say little about a whole tensor. Returns {max_abs, max_rel, ref_max} or {error}.
export function compareTensors(a, b) {
  if (a.dims.join('x') !== b.dims.join('x')) return { error: `shape [${a.dims}] vs [${b.dims}]` };
  let maxAbs = 0;
  let refMax = 0;
  let nan = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    if (Number.isNaN(x) !== Number.isNaN(y)) nan++;
    const d = Math.abs(x - y);
    if (d > maxAbs) maxAbs = d;
    if (Math.abs(y) > refMax) refMax = Math.abs(y);
  }
  const res = { max_abs: maxAbs, max_rel: refMax > 0 ? maxAbs / refMax : maxAbs, ref_max: refMax };
  if (nan) res.nan_mismatch = nan;
  return res;
}
