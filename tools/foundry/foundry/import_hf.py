"""Turns a Hugging Face Llama-family checkpoint and a public SAE into a saerl model pack.

  python3 -m foundry.import_hf --checkpoint ckpt/Llama-3.1-8B-Instruct \\
      --sae sae/Llama-3.1-8B-Instruct-SAE-l19.pth --out data/packs/llama8b --version llama8b-base-v1

The checkpoint's weights go into the foundry's Decoder (read straight from safetensors), which
exports the pack's graph (docs/model-pack.md); the SAE is converted to the pack's SAE
(foundry/sae_formats.py); golden.json holds the PyTorch outputs the Java runtime must reproduce.
docs/real-models.md has the details (hook conventions, fp16, external data, what is refused).
"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np
import onnx
import torch
from onnx import helper, TensorProto

from . import hf, reference, sae_formats
from .export import PACK_FORMAT, OPSET, export_model, export_sae, io_names, sae_codes, sha256
from .model import extend
from .safetensors_io import save as save_safetensors

EXTERNAL_DATA_BYTES = 1 << 30  # graphs above this keep their weights in a .data file beside them


def finish_onnx(path, external):
    """Moves a graph's weights into PATH.data when asked or when they are large. Returns the files."""
    m = onnx.load(path)
    if external or sum(i.ByteSize() for i in m.graph.initializer) > EXTERNAL_DATA_BYTES:
        if os.path.exists(path + ".data"):
            os.remove(path + ".data")
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)
        onnx.checker.check_model(path)
        return [os.path.basename(path), os.path.basename(path) + ".data"]
    return [os.path.basename(path)]


def export_decoder(model, path, fp16, external):
    """The decoder graph with the model's weights written one tensor at a time, so an import needs
    little more memory than the model itself (torch's exporter holds about three more copies).

    The graph is traced with the weights as inputs (named after the parameters); each becomes an
    initializer, written into PATH.data (external) or into the graph. A Transpose of a weight that
    nothing else reads is folded into a stored transposed weight. fp16 stores weights of 1024 or
    more values in half precision, each followed by a Cast back to float: the arithmetic stays fp32.
    Returns the files written."""
    export_model(model, path, weights_as_inputs=True)
    m = onnx.load(path)
    params = {"model." + k: v for k, v in model.named_parameters()}
    readers = {}
    for node in m.graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    stored, nodes = {}, []  # initializer name -> tensor
    for node in m.graph.node:
        perm = [list(a.ints) for a in node.attribute if a.name == "perm"]
        if node.op_type == "Transpose" and node.input[0] in params and readers[node.input[0]] == 1 \
                and params[node.input[0]].dim() == 2 and perm in ([], [[1, 0]]):
            stored[node.output[0]] = params[node.input[0]].t()
            continue
        nodes.append(node)
    still_read = {name for node in nodes for name in node.input}
    for name in (i.name for i in m.graph.input):
        if name in params and name in still_read:
            stored[name] = params[name]
    data_file = os.path.basename(path) + ".data"
    external = external or sum(t.numel() for t in stored.values()) * (2 if fp16 else 4) > EXTERNAL_DATA_BYTES
    casts, offset = [], 0
    total, done, shown = sum(t.numel() for t in stored.values()), 0, 0
    with open(path + ".data", "wb") if external else open(os.devnull, "wb") as data:
        for name, t in stored.items():
            done += t.numel()
            if total > 50_000_000 and done * 10 // total > shown:  # progress on large models
                shown = done * 10 // total
                print(f"  weights written: {shown * 10}% of {total / 1e6:.0f} M", file=sys.stderr, flush=True)
            half = fp16 and t.numel() >= 1024
            arr = t.detach().contiguous().numpy().astype(np.float16 if half else np.float32)
            init = TensorProto(name=name + ".fp16" if half else name, data_type=TensorProto.FLOAT16 if half else TensorProto.FLOAT,
                               dims=list(arr.shape))
            if external:
                offset += -offset % 64
                data.seek(offset)
                data.write(arr.tobytes())
                init.data_location = TensorProto.EXTERNAL
                for key, value in (("location", data_file), ("offset", str(offset)), ("length", str(arr.nbytes))):
                    init.external_data.add(key=key, value=value)
                offset += arr.nbytes
            else:
                init.raw_data = arr.tobytes()
            m.graph.initializer.append(init)
            if half:
                casts.append(helper.make_node("Cast", [name + ".fp16"], [name], to=TensorProto.FLOAT, name=name + ".cast"))
    inputs = [i for i in m.graph.input if i.name not in params]
    del m.graph.input[:]
    m.graph.input.extend(inputs)
    del m.graph.node[:]
    m.graph.node.extend(casts + nodes)
    onnx.save_model(m, path)
    onnx.checker.check_model(path)
    return [os.path.basename(path)] + ([data_file] if external else [])


@torch.no_grad()
def golden(model, sae, ids, steer_feature, steer_coef, decode_steps):
    """Prefill logits and hook residuals of fixed token ids, plain and steered, their SAE codes, and
    greedy cached decoding for a few steps."""
    T = len(ids)
    x = torch.tensor([ids])
    mask = torch.ones_like(x)
    pos = torch.arange(T).unsqueeze(0)
    direction = sae.W_dec[steer_feature] * steer_coef
    out = {"input_ids": ids, "steer_feature": steer_feature, "steer_coefficient": steer_coef}
    for name, steer in (("plain", None), ("steered", direction.expand(1, T, -1).contiguous())):
        logits, news, hook = model(x, pos, mask, None, steer)
        past, tokens, step_logits = news, [], []
        nxt = int(logits[0, -1].argmax())
        for s in range(decode_steps):
            tokens.append(nxt)
            m = torch.ones(1, T + s + 1, dtype=torch.long)
            lg, new, _ = model(torch.tensor([[nxt]]), torch.tensor([[T + s]]), m, past, None if steer is None else direction.view(1, 1, -1))
            past = extend(past, new)
            step_logits.append(lg[0, -1].tolist())
            nxt = int(lg[0, -1].argmax())
        out[name] = {"logits": logits[0].flatten().tolist(), "hook_resid": hook[0].flatten().tolist(),
                     **sae_codes(sae, hook[0]),
                     "greedy_tokens": tokens, "decode_logits": step_logits}
    return out


def check_against_reference(model, hf_cfg, ckpt, ids, hook_layer, fp16, tol=1e-4):
    """The Decoder's logits and hook residual vs the independent NumPy forward (on the same weights,
    rounded to fp16 when the pack stores fp16); exits on a mismatch."""
    weights = {k: (v.half() if fp16 else v).double().numpy() for k, v in hf.load_weights(ckpt).items()}
    with torch.no_grad():
        logits, _, hook = model(torch.tensor([ids]), torch.arange(len(ids)).unsqueeze(0), torch.ones(1, len(ids), dtype=torch.long))
    ref_logits, ref_hook = reference.forward(hf_cfg, weights, ids, hook_layer=hook_layer)
    err = max(np.abs(logits[0].double().numpy() - ref_logits).max(), np.abs(hook[0].double().numpy() - ref_hook).max())
    scale = max(1.0, np.abs(ref_logits).max())
    if err > tol * scale:
        raise SystemExit(f"{ckpt}: the foundry's forward differs from the NumPy reference by {err:.3g} (tolerance {tol * scale:.3g})")
    return float(err)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Import a Hugging Face Llama-family checkpoint and a public SAE as a saerl model pack.")
    ap.add_argument("--checkpoint", required=True, help="directory with config.json, *.safetensors (sharded or not), tokenizer.json")
    ap.add_argument("--sae", required=True, help="SAE: a SAELens or sparsify directory, a Goodfire .pth/.safetensors, or Gemma Scope params.npz")
    ap.add_argument("--sae-format", choices=sae_formats.FORMATS, help="default: detected from the files")
    ap.add_argument("--hook-layer", type=int, help="residual stream entering block L (hidden_states[L]); default: from the SAE")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", help="default: the checkpoint directory's name")
    ap.add_argument("--version", required=True, help="model version recorded on every record made with the pack")
    ap.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32",
                    help="fp16 stores the weights in half precision (half the size; the graph computes in fp32)")
    ap.add_argument("--external-data", action="store_true", help="keep weights in model.onnx.data (automatic above 1 GiB)")
    ap.add_argument("--prompt-template", default="Question: {question}\nAnswer:")
    ap.add_argument("--stop-string", action="append", dest="stop_strings", help="repeatable; default: a blank line")
    ap.add_argument("--no-bos", action="store_true", help="do not prepend bos_token_id to prompts (e.g. Qwen2)")
    ap.add_argument("--check-reference", action="store_true", help="also compare with the NumPy reference forward (slow for large models)")
    ap.add_argument("--golden-length", type=int, default=12)
    a = ap.parse_args(argv)
    t0 = time.time()
    sae, sae_hook, source = sae_formats.load(a.sae, a.sae_format)
    hook = a.hook_layer if a.hook_layer is not None else sae_hook
    if hook is None:
        raise SystemExit(f"{a.sae}: the SAE does not say which layer it reads; give --hook-layer")
    if a.hook_layer is not None and sae_hook is not None and a.hook_layer != sae_hook:
        print(f"note: --hook-layer {a.hook_layer} overrides the SAE's own hook layer {sae_hook}", file=sys.stderr)
    model, hf_cfg = hf.load_checkpoint(a.checkpoint, hook)
    print(f"checkpoint read in {time.time() - t0:.1f} s", file=sys.stderr, flush=True)
    cfg = model.c
    if sae.W_enc.shape[0] != cfg.d_model:
        raise SystemExit(f"{a.sae}: SAE d_in {sae.W_enc.shape[0]} but the checkpoint's hidden_size is {cfg.d_model}")
    tokenizer = os.path.join(a.checkpoint, "tokenizer.json")
    if not os.path.exists(tokenizer):
        raise SystemExit(f"{a.checkpoint}: no tokenizer.json (saerl reads Hugging Face fast-tokenizer files)")
    if a.dtype == "fp16":  # the golden outputs then describe exactly the weights the pack holds
        for p in model.parameters():
            p.data = p.data.half().float()
    os.makedirs(a.out, exist_ok=True)
    print(f"exporting {hf_cfg['model_type']} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters), hook layer {hook}", file=sys.stderr)
    files = export_decoder(model, os.path.join(a.out, "model.onnx"), a.dtype == "fp16", a.external_data)
    export_sae(sae, cfg.d_model, os.path.join(a.out, "sae_encode.onnx"), os.path.join(a.out, "sae_decode.onnx"))
    files += finish_onnx(os.path.join(a.out, "sae_encode.onnx"), False)
    files += finish_onnx(os.path.join(a.out, "sae_decode.onnx"), False)
    save_safetensors(os.path.join(a.out, "sae.safetensors"), sae.tensors())
    shutil.copyfile(tokenizer, os.path.join(a.out, "tokenizer.json"))
    files += ["sae.safetensors", "tokenizer.json"]

    rng = np.random.default_rng(0)
    ids = [int(i) for i in rng.integers(0, cfg.vocab_size, a.golden_length)]
    steer_feature = int(sae.encode(sae.b_dec.unsqueeze(0) + 0.0).argmax())
    gold = golden(model, sae, ids, steer_feature, 4.0, 8)
    if a.check_reference:
        gold["reference_max_abs_error"] = check_against_reference(model, hf_cfg, a.checkpoint, ids, hook, a.dtype == "fp16")
    with open(os.path.join(a.out, "golden.json"), "w") as f:
        json.dump(gold, f)
    files.append("golden.json")

    eos = hf_cfg.get("eos_token_id")
    eos = [] if eos is None else (eos if isinstance(eos, list) else [eos])
    bos = hf_cfg.get("bos_token_id")
    inputs, outputs = io_names(cfg)
    at = "the output of the last block, before the final norm" if hook == cfg.n_layer else \
        f"residual stream entering block {hook} (hidden_states[{hook}])"
    manifest = {
        "format": PACK_FORMAT, "name": a.name or os.path.basename(os.path.normpath(a.checkpoint)), "version": a.version,
        "parent_version": None,
        "architecture": {"type": hf_cfg["model_type"], **cfg.to_dict()},
        "hook_layer": hook, "hook_point": f"{at}, read before steer is added",
        "prompt_template": a.prompt_template, "stop_strings": a.stop_strings or ["\n\n"],
        "bos_token_id": bos if bos is not None else 0,
        "pad_token_id": hf_cfg.get("pad_token_id") if hf_cfg.get("pad_token_id") is not None else (eos[0] if eos else 0),
        "eos_token_ids": eos, "add_bos": bos is not None and not a.no_bos,
        "graph": {"inputs": inputs, "outputs": outputs, "opset": OPSET, "weights_dtype": a.dtype},
        "sae": {**sae.spec(), "encode": "sae_encode.onnx", "decode": "sae_decode.onnx", "weights": "sae.safetensors",
                "layout": "W_enc [d_in,F], b_enc [F], W_dec [F,d_in], b_dec [d_in], threshold [F] (jumprelu)",
                "source": source, "id": sha256(os.path.join(a.out, "sae.safetensors"))[:16]},
        "source": {"checkpoint": os.path.basename(os.path.normpath(a.checkpoint)),
                   "config_sha256": sha256(os.path.join(a.checkpoint, "config.json")), "sae": os.path.basename(os.path.normpath(a.sae))},
        "metrics": {},
        "files": {f: sha256(os.path.join(a.out, f)) for f in files},
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(json.dumps({"pack": a.out, "version": a.version, "hook_layer": hook, "sae": source, "files": files,
                      "reference_max_abs_error": gold.get("reference_max_abs_error"), "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
