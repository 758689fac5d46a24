"""foundry.roofline: the bytes a decode step reads (an untied embedding table as one row, a tied one
whole, since the output projection reads all of it) and the bandwidth graph's chunks and sum.
Run: cd tools/foundry && /usr/bin/python3 -m unittest discover -s tests"""
import os
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from foundry import roofline

V, D = 50, 8


def pack(tied):
    """A model.onnx of an embedding Gather and an output MatMul, tied or not, in a temporary directory."""
    d = tempfile.mkdtemp()
    emb = numpy_helper.from_array(np.ones((V, D), np.float32), "embed")
    inits = [emb, helper.make_tensor("shape", TensorProto.INT64, [1], [D])]
    nodes = [helper.make_node("Gather", ["embed", "ids"], ["x"])]
    if tied:
        nodes += [helper.make_node("Transpose", ["embed"], ["head"]), helper.make_node("MatMul", ["x", "head"], ["logits"])]
    else:
        inits.append(numpy_helper.from_array(np.ones((D, V), np.float16), "head"))  # fp16: fp32 once loaded
        nodes.append(helper.make_node("MatMul", ["x", "head"], ["logits"]))
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, [1])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, V])], inits)
    onnx.save(helper.make_model(g), os.path.join(d, "model.onnx"))
    return d


class RooflineTest(unittest.TestCase):
    def test_an_untied_table_is_one_row_and_every_other_weight_counts_once_in_fp32(self):
        r = roofline.step_bytes(pack(tied=False))
        self.assertEqual(D * V * 4 + D * 4 + 8, r["bytes_per_step"])
        self.assertEqual(V * D * 4, r["embedding_table_bytes"])

    def test_a_tied_table_is_read_whole_by_the_output_projection(self):
        r = roofline.step_bytes(pack(tied=True))
        self.assertEqual(V * D * 4 + 8, r["bytes_per_step"])
        self.assertEqual(0, r["embedding_table_bytes"])

    def test_the_bandwidth_graph_holds_the_chunks_and_their_sum(self):
        out = os.path.join(tempfile.mkdtemp(), "bw.onnx")
        r = roofline.bandwidth_graph(out, mib=4, chunks=2)
        self.assertEqual(4 * 2 ** 20, r["bytes_per_iteration"])
        m = onnx.load(out)  # with its external data
        chunks = [numpy_helper.to_array(t) for t in m.graph.initializer if t.name.startswith("w")]
        self.assertEqual([2 ** 19, 2 ** 19], [c.size for c in chunks])
        self.assertFalse(np.array_equal(chunks[0], chunks[1]))
        self.assertAlmostEqual(r["expected_sum_per_iteration"], sum(c.astype(np.float64).sum() for c in chunks), delta=1e-3)
        self.assertEqual(["Loop"], [n.op_type for n in m.graph.node])
        self.assertEqual(["trips"], [i.name for i in m.graph.input])


if __name__ == "__main__":
    unittest.main()
