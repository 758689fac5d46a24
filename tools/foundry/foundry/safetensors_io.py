"""Reads and writes the safetensors format directly (an 8-byte little-endian header length, a JSON
header of dtype/shape/offsets, then raw little-endian tensors); the Python package is not needed."""
import json
import struct

import numpy as np
import torch

_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64, "I32": np.int32}
_NAMES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64", np.dtype(np.int32): "I32"}


def save(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if torch.is_tensor(t) and t.dtype == torch.bfloat16:  # numpy has no bf16: keep the top half of each f32
            arr, dtype = (t.detach().cpu().float().contiguous().numpy().view(np.uint32) >> 16).astype("<u2"), "BF16"
        else:
            arr = t.detach().cpu().contiguous().numpy() if torch.is_tensor(t) else np.ascontiguousarray(t)
            dtype = _NAMES[arr.dtype]
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def load(path):
    """Returns {name: torch.Tensor} (bf16 is widened to f32). Tensors are read one at a time from a
    memory map, so a shard is never held twice."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = (8 + n + o for o in info["data_offsets"])
        if info["dtype"] == "BF16":
            arr = (raw[a:b].view("<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.array(raw[a:b].view(np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")))
        out[name] = torch.from_numpy(arr.reshape(info["shape"]))
    del raw
    return out
