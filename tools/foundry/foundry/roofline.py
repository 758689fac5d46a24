"""The memory-bandwidth roofline of a batch-1 decode step, for tools/bench/gpu.sh.

  python3 -m foundry.roofline --pack PACK [--graph OUT.onnx --mib MIB --chunks K]

prints one JSON line: the bytes a decode step of PACK's model.onnx reads (every initializer once,
in fp32 as ONNX Runtime holds it, except an embedding table that only a Gather reads: one row of
it per token), and, with --graph, writes the bandwidth graph: K float32 initializers of MIB/K MiB
each, summed whole by ReduceSum inside a Loop whose trip count is the graph's only input. The
weights never cross from the host while it runs, so timing two trip counts and dividing the extra
bytes by the extra time gives the rate ONNX Runtime streams device (or host) memory on that
provider; the fixed cost of a run (launch, the output's copy back) cancels. The reduction's axes
are computed from the iteration number so that no optimizer can fold the sum into a constant.
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

FLOAT_TYPES = {TensorProto.FLOAT: 4, TensorProto.FLOAT16: 4, TensorProto.BFLOAT16: 4, TensorProto.DOUBLE: 8}


def step_bytes(pack):
    """Bytes one decode step at batch 1 reads: each initializer once, an embedding table one row."""
    m = onnx.load(os.path.join(pack, "model.onnx"), load_external_data=False)
    g = m.graph
    consumers = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    total = embedding = embedding_row = params = 0
    for init in g.initializer:
        numel = int(np.prod(init.dims)) if init.dims else 1
        # fp16 packs store half precision with a Cast after each weight, folded at load: fp32 in memory
        size = numel * FLOAT_TYPES.get(init.data_type, 8)  # the rest are small integer constants
        params += numel
        users = consumers.get(init.name, [])
        if users and all(u.op_type == "Gather" and u.input[0] == init.name for u in users) and len(init.dims) == 2:
            embedding += size
            embedding_row += size // init.dims[0]
            continue
        total += size
    return {"bytes_per_step": total + embedding_row, "parameters": params, "embedding_table_bytes": embedding,
            "embedding_row_bytes": embedding_row}


def bandwidth_graph(out, mib, chunks, seed=0):
    """Writes OUT (and OUT.data): K chunks summed whole per Loop iteration; returns the bytes read per iteration."""
    n = mib * 2 ** 20 // 4 // chunks
    base = np.random.default_rng(seed).random(n, dtype=np.float32)
    data = os.path.basename(out) + ".data"
    inits, body_nodes, sums = [], [], []
    with open(out + ".data", "wb") as f:
        for k in range(chunks):
            name = f"w{k}"
            t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[n], data_location=TensorProto.EXTERNAL)
            for key, value in (("location", data), ("offset", str(f.tell())), ("length", str(n * 4))):
                t.external_data.add(key=key, value=value)
            f.write((base + np.float32(k)).tobytes())  # distinct contents, so no two chunks can be shared
            inits.append(t)
            body_nodes.append(helper.make_node("ReduceSum", [name, "axes"], [f"r{k}"], keepdims=0))
            sums.append(f"r{k}")
    zero = helper.make_tensor("zero", TensorProto.INT64, [], [0])
    body = helper.make_graph(
        [helper.make_node("Mul", ["i", "zero"], ["axis"]),  # 0, but not a constant
         helper.make_node("Unsqueeze", ["axis", "unsq"], ["axes"]),
         *body_nodes,
         helper.make_node("Sum", sums + ["s_in"], ["s_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("s_in", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [])],
        [zero, helper.make_tensor("unsq", TensorProto.INT64, [1], [0])])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trips", "", "s0"], ["sum"], body=body)],
        "bandwidth",
        [helper.make_tensor_value_info("trips", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [])],
        inits + [helper.make_tensor("s0", TensorProto.FLOAT, [], [0.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="foundry.roofline")
    model.ir_version = 8
    onnx.save(model, out)
    onnx.checker.check_model(out)  # by path: the external data is found beside it
    return {"graph": out, "bytes_per_iteration": chunks * n * 4, "chunks": chunks,
            "expected_sum_per_iteration": float(sum(base.astype(np.float64).sum() + k * n for k in range(chunks)))}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Bytes a batch-1 decode step reads, and a graph that measures memory bandwidth.")
    ap.add_argument("--pack", help="a model pack: print the bytes its decode step reads")
    ap.add_argument("--graph", help="write the bandwidth graph here (and GRAPH.data)")
    ap.add_argument("--mib", type=int, default=256, help="MiB read per Loop iteration (default 256; >= 4x the last-level cache)")
    ap.add_argument("--chunks", type=int, default=1, help="initializers the MiB are split into (default 1; 256 MiB each keeps indices small)")
    a = ap.parse_args(argv)
    out = {}
    if a.pack:
        out.update(step_bytes(a.pack))
    if a.graph:
        out.update(bandwidth_graph(a.graph, a.mib, a.chunks))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
