#!/usr/bin/python3
"""Counts the multiply-accumulates of an ONNX model for one input shape; optionally writes seeded random inputs.

Usage: /usr/bin/python3 bench/models/flops.py MODEL [--input [NAME=]FILE.pb]... [--shape [NAME=]DIMS]...
                                               [--write-inputs DIR [--seed N]]

Prints one JSON object: {"model", "gflops", "macs", "by_op": {op: macs}, "inputs": [{"name", "dtype", "dims"}],
"uncounted": [node names whose shapes shape inference could not find]}. gflops = 2 * MACs / 1e9 over Conv,
ConvTranspose, Gemm, MatMul and their quantized forms (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger:
integer multiply-accumulates count the same). Element-wise ops, pooling, softmax and normalization are not counted.

Input shapes: from --input files (their dims), else --shape (DIMS = 1x3x224x224), else the model's fixed dims;
a dynamic dim left over becomes 1. --write-inputs writes DIR/input_<i>.pb for every graph input (uniform [0, 1)
floats, integers in [0, 10), numpy seeded with --seed, default 0) for inputs not given by --input.
Needs python3-onnx and python3-numpy (Debian packages).
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

CONV_W = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3, "ConvTranspose": 1}
MATMUL_B = {"MatMul": 1, "MatMulInteger": 1, "QLinearMatMul": 3}


def parse_args(argv):
    opts = {"inputs": [], "shapes": {}, "write": None, "seed": 0, "model": None, "no_ort": False}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--input", "--shape", "--write-inputs", "--seed"):
            if i + 1 >= len(argv):
                sys.exit(f"flops.py: {a} needs a value")
            v = argv[i + 1]
            i += 2
            if a == "--input":
                opts["inputs"].append(v)
            elif a == "--shape":
                name, eq, dims = v.partition("=")
                if not eq:  # a bare DIMS: the first graph input
                    name, dims = "", v
                opts["shapes"][name] = [int(d) for d in dims.replace(",", "x").split("x")]
            elif a == "--write-inputs":
                opts["write"] = v
            else:
                opts["seed"] = int(v)
            continue
        if a == "--no-ort":
            opts["no_ort"] = True
            i += 1
            continue
        if a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        if opts["model"] is not None or a.startswith("-"):
            sys.exit(f"flops.py: unexpected argument {a}")
        opts["model"] = a
        i += 1
    if opts["model"] is None:
        sys.exit(__doc__.strip().splitlines()[2])
    return opts


def np_dtype(elem_type):
    helper = getattr(onnx.helper, "tensor_dtype_to_np_dtype", None)  # onnx >= 1.13
    if helper:
        return np.dtype(helper(elem_type))
    from onnx import mapping  # Debian 12 ships onnx 1.12

    return np.dtype(mapping.TENSOR_TYPE_TO_NP_TYPE[elem_type])


def graph_inputs(model):
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def count_macs(graph, shapes):
    """Returns ({op: macs}, [names of nodes whose shapes are unknown])."""

    def shape(name):
        return shapes.get(name)

    macs_by_op = {}
    uncounted = []
    for node in graph.node:
        op = node.op_type
        macs = None
        if op in CONV_W:
            w = shape(node.input[CONV_W[op]])
            ref = shape(node.input[0]) if op == "ConvTranspose" else shape(node.output[0])
            if w and ref:
                # Conv: every output element takes (C/group)*kH*kW MACs. ConvTranspose: every input element
                # scatters into (M/group)*kH*kW outputs.
                macs = int(np.prod(ref, dtype=np.int64)) * int(np.prod(w[1:], dtype=np.int64))
        elif op in MATMUL_B:
            a = shape(node.input[0])
            out = shape(node.output[0])
            if a and out:
                macs = int(np.prod(out, dtype=np.int64)) * a[-1]
        elif op == "Gemm":
            a = shape(node.input[0])
            out = shape(node.output[0])
            trans_a = next((at.i for at in node.attribute if at.name == "transA"), 0)
            if a and out:
                k = a[0] if trans_a else a[1]
                macs = int(np.prod(out, dtype=np.int64)) * k
        else:
            continue
        if macs is None:
            uncounted.append(node)
            continue
        macs_by_op[op] = macs_by_op.get(op, 0) + macs

    return macs_by_op, uncounted


def ort_shapes(opts, model, graph, nodes, shapes, described):
    """Runs the model once in ONNX Runtime (bench/models/ort_bench.mjs) with the unknown tensors as extra outputs."""
    wanted = []
    for node in nodes:
        for name in list(node.input) + list(node.output):
            if name and name not in shapes and name not in wanted:
                wanted.append(name)
    existing = {o.name for o in model.graph.output}
    with tempfile.TemporaryDirectory(prefix="edgerun-flops-") as tmp:
        exposed = onnx.ModelProto()
        exposed.CopyFrom(model)
        for name in wanted:
            if name not in existing:
                exposed.graph.output.append(onnx.ValueInfoProto(name=name))  # ORT infers the type
        path = os.path.join(tmp, "model.onnx")
        onnx.save(exposed, path)
        cmd = ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_bench.mjs"), path]
        rng = np.random.default_rng(opts["seed"])
        for i, d in enumerate(described):
            file = d.get("file") or d.get("given")
            if not file:
                file = os.path.join(tmp, f"input_{i}.pb")
                arr = rng.random(d["dims"], dtype=np.float32).astype(d["dtype"])
                with open(file, "wb") as f:
                    f.write(numpy_helper.from_array(arr, d["name"]).SerializeToString())
            cmd += ["--input", f"{d['name']}={file}"]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            outputs = json.loads(res.stdout.strip().splitlines()[-1])["outputs"]
        except (OSError, subprocess.CalledProcessError, ValueError, KeyError) as e:
            err = getattr(e, "stderr", "") or e
            print(f"flops.py: warning: no shapes from ONNX Runtime: {str(err).strip()}", file=sys.stderr)
            return {}
    return {o["name"]: o["dims"] for o in outputs}


def main():
    opts = parse_args(sys.argv[1:])
    model = onnx.load(opts["model"])
    inputs = graph_inputs(model)
    given = {}
    given_files = {}
    positional = 0
    for spec in opts["inputs"]:
        name, sep, path = spec.partition("=")
        if not sep or "/" in name:
            name, path = inputs[positional].name, spec
            positional += 1
        given[name] = numpy_helper.to_array(onnx.load_tensor(path))
        given_files[name] = path

    described = []
    rng = np.random.default_rng(opts["seed"])
    if opts["write"]:
        os.makedirs(opts["write"], exist_ok=True)
    for idx, inp in enumerate(inputs):
        tt = inp.type.tensor_type
        if inp.name in given:
            dims = list(given[inp.name].shape)
        elif inp.name in opts["shapes"]:
            dims = opts["shapes"][inp.name]
        elif idx == 0 and "" in opts["shapes"]:
            dims = opts["shapes"][""]
        else:
            dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in tt.shape.dim]
        # Pin the input shape so that inference propagates concrete dims.
        tt.shape.ClearField("dim")
        for d in dims:
            tt.shape.dim.add().dim_value = int(d)
        np_type = np_dtype(tt.elem_type)
        described.append({"name": inp.name, "dtype": str(np.dtype(np_type)), "dims": [int(d) for d in dims]})
        if inp.name in given_files:
            described[-1]["given"] = given_files[inp.name]
        if opts["write"] and inp.name not in given:
            if np.issubdtype(np_type, np.floating):
                arr = rng.random(dims, dtype=np.float32).astype(np_type)
            elif np_type == np.bool_:
                arr = rng.integers(0, 2, dims).astype(np.bool_)
            else:
                arr = rng.integers(0, 10, dims).astype(np_type)
            path = os.path.join(opts["write"], f"input_{idx}.pb")
            with open(path, "wb") as f:
                f.write(numpy_helper.from_array(arr, inp.name).SerializeToString())
            described[-1]["file"] = path

    try:
        inferred = shape_inference.infer_shapes(model, data_prop=True)
    except Exception as e:  # noqa: BLE001 - report and count what the raw graph gives
        print(f"flops.py: warning: shape inference failed: {e}", file=sys.stderr)
        inferred = model

    shapes = {}
    for vi in list(inferred.graph.input) + list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if vi.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = [d.dim_value for d in dims]
    for t in inferred.graph.initializer:
        shapes[t.name] = list(t.dims)
    for node in inferred.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    shapes[node.output[0]] = list(a.t.dims)

    def shape(name):
        return shapes.get(name)

    macs_by_op, uncounted = count_macs(inferred.graph, shapes)
    if uncounted and not opts["no_ort"]:
        # Shape inference lost the shapes (ops outside the ONNX domain, Reshape to a computed shape): ask ONNX
        # Runtime for the real ones by exposing the tensors around those nodes as graph outputs.
        runtime = ort_shapes(opts, model, inferred.graph, uncounted, shapes, described)
        if runtime:
            shapes.update(runtime)
            macs_by_op, uncounted = count_macs(inferred.graph, shapes)

    total = sum(macs_by_op.values())
    print(json.dumps({"model": opts["model"], "gflops": round(2 * total / 1e9, 4), "macs": total,
                      "by_op": macs_by_op, "inputs": described,
                      "uncounted": [n.name or f"{n.op_type}:{n.output[0]}" for n in uncounted]}))


if __name__ == "__main__":
    main()
