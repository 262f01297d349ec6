"""Dynamic int8 quantization of an ONNX BERT with python3-onnx only (no onnxruntime needed).

- MatMul with a constant 2-D weight B[K,N] -> DynamicQuantizeLinear(A) + MatMulInteger(A_u8, B_s8, A_zp)
  + Cast + Mul(A_scale * B_scale[N]); B per output column, symmetric int8.
- Gather on a constant 2-D table (the embeddings) -> Gather on the int8 table, Gather of the per-row
  scales, Cast, Mul.
- Gather on a constant 1-D table (the wide half's weights) -> Gather on one int8 copy, Cast, Mul by one scale.
Everything else stays float. Usage: python3 quantize.py model.onnx model_quantized.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def _quant_cols(w):
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def _quant_rows(w):
    scale = np.abs(w).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def quantize_model(model, min_elements=1024):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    new_nodes, new_inits, drop = [], [], set()
    tables = {}  # 1-D table name -> [prefix, Gathers rewritten so far]
    k = 0
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            if w.ndim == 2 and w.size >= min_elements:
                k += 1
                p = f"q{k}_"
                q, s = _quant_cols(w.astype(np.float32))
                new_inits += [numpy_helper.from_array(q, p + "W"), numpy_helper.from_array(s, p + "Ws"),
                              numpy_helper.from_array(np.zeros(q.shape[1], np.int8), p + "Wzp")]
                if consumers.get(n.input[1], 0) == 1:
                    drop.add(n.input[1])
                a = n.input[0]
                new_nodes += [
                    helper.make_node("DynamicQuantizeLinear", [a], [p + "A", p + "As", p + "Azp"], name=p + "dql"),
                    helper.make_node("MatMulInteger", [p + "A", p + "W", p + "Azp", p + "Wzp"], [p + "Y32"], name=p + "mmi"),
                    helper.make_node("Cast", [p + "Y32"], [p + "Yf"], to=TensorProto.FLOAT, name=p + "cast"),
                    helper.make_node("Mul", [p + "As", p + "Ws"], [p + "S"], name=p + "smul"),
                    helper.make_node("Mul", [p + "Yf", p + "S"], [n.output[0]], name=p + "mul"),
                ]
                continue
        if n.op_type == "Gather" and n.input[0] in inits:
            w = numpy_helper.to_array(inits[n.input[0]])
            if w.ndim == 2 and w.dtype == np.float32 and w.size >= min_elements:
                k += 1
                p = f"q{k}_"
                q, s = _quant_rows(w)
                new_inits += [numpy_helper.from_array(q, p + "E"), numpy_helper.from_array(s[:, None], p + "Es")]
                if consumers.get(n.input[0], 0) == 1:
                    drop.add(n.input[0])
                idx = n.input[1]
                axis = [a for a in n.attribute if a.name == "axis"]
                ax = helper.get_attribute_value(axis[0]) if axis else 0
                new_nodes += [
                    helper.make_node("Gather", [p + "E", idx], [p + "G"], axis=ax, name=p + "gq"),
                    helper.make_node("Gather", [p + "Es", idx], [p + "Gs"], axis=ax, name=p + "gs"),
                    helper.make_node("Cast", [p + "G"], [p + "Gf"], to=TensorProto.FLOAT, name=p + "cast"),
                    helper.make_node("Mul", [p + "Gf", p + "Gs"], [n.output[0]], name=p + "mul"),
                ]
                continue
            if w.ndim == 1 and w.dtype == np.float32 and w.size >= min_elements:
                # a 1-D table (the wide half's weights, read by two Gathers): one int8 copy, one global scale
                name = n.input[0]
                if name not in tables:
                    k += 1
                    p = f"q{k}_"
                    scale = np.float32(max(float(np.abs(w).max()) / 127.0, 1e-12))
                    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
                    new_inits += [numpy_helper.from_array(q, p + "T"), numpy_helper.from_array(np.array(scale), p + "Ts")]
                    tables[name] = [p, 0]
                p = tables[name][0]
                tables[name][1] += 1
                j = tables[name][1]
                new_nodes += [
                    helper.make_node("Gather", [p + "T", n.input[1]], [f"{p}G{j}"], name=f"{p}gq{j}"),
                    helper.make_node("Cast", [f"{p}G{j}"], [f"{p}Gf{j}"], to=TensorProto.FLOAT, name=f"{p}cast{j}"),
                    helper.make_node("Mul", [f"{p}Gf{j}", p + "Ts"], [n.output[0]], name=f"{p}mul{j}"),
                ]
                if tables[name][1] == consumers.get(name, 0):
                    drop.add(name)
                continue
        new_nodes.append(n)
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [t for t in g.initializer if t.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    return model, k


def quantize_file(src, dst):
    model = onnx.load(src)
    model, k = quantize_model(model)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return k


if __name__ == "__main__":
    n = quantize_file(sys.argv[1], sys.argv[2])
    print(f"quantized {n} weights -> {sys.argv[2]}", file=sys.stderr)
