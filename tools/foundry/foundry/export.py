"""Exports a trained decoder and SAE as a saerl model pack (docs/model-pack.md):
manifest.json, tokenizer.json, model.onnx, model.safetensors, sae_encode.onnx, sae_decode.onnx,
sae.safetensors, and golden.json (PyTorch reference outputs the Java tests must match)."""
import argparse
import hashlib
import json
import os

import onnx
import torch

from . import tasks
from .generate import generate
from .model import Config, Decoder, positions_from_mask
from .safetensors_io import save as save_safetensors
from .sae import TopKSAE, load_decoder
from .tokenizer import CharTokenizer

OPSET = 17
# 2: the graph returns only a pass's own keys and values (new_key_values.*)
# 3: hook_resid is read before steer is added (the model's own state)
PACK_FORMAT = 3
HOOK_POINT = "residual stream entering block {L} (hidden_states[{L}]), read before steer is added"


class PackGraph(torch.nn.Module):
    """The pack contract's signature around the decoder."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, position_ids, attention_mask, steer, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, news, hook = self.model(input_ids, position_ids, attention_mask, past, steer)
        flat = [t for kv in news for t in kv]
        return (logits, hook, *flat)


class SaeEncode(torch.nn.Module):
    def __init__(self, sae):
        super().__init__()
        self.sae = sae

    def forward(self, x):
        return self.sae.encode(x)


class SaeDecode(torch.nn.Module):
    def __init__(self, sae):
        super().__init__()
        self.sae = sae

    def forward(self, z):
        return self.sae.decode(z)


def io_names(cfg):
    past_in = [f"past_key_values.{i}.{kv}" for i in range(cfg.n_layer) for kv in ("key", "value")]
    new = [f"new_key_values.{i}.{kv}" for i in range(cfg.n_layer) for kv in ("key", "value")]
    return ["input_ids", "position_ids", "attention_mask", "steer"] + past_in, ["logits", "hook_resid"] + new


def export_model(model, path, weights_as_inputs=False):
    """weights_as_inputs: export the graph alone, each parameter an input named after it (its
    Hugging Face name), for a caller that writes the weights itself (foundry.import_hf)."""
    cfg = model.c
    inputs, outputs = io_names(cfg)
    B, T, P = 2, 3, 4
    ids = torch.randint(3, cfg.vocab_size, (B, T))
    mask = torch.ones(B, P + T, dtype=torch.long)
    pos = torch.arange(P, P + T).unsqueeze(0).expand(B, T)
    steer = torch.zeros(B, T, cfg.d_model)
    past = [torch.zeros(B, cfg.n_kv_head, P, cfg.head_dim) for _ in range(2 * cfg.n_layer)]
    axes = {"input_ids": {0: "batch", 1: "seq"}, "position_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "slots_plus_seq"}, "steer": {0: "batch", 1: "seq"},
            "logits": {0: "batch", 1: "seq"}, "hook_resid": {0: "batch", 1: "seq"}}
    for n in inputs[4:]:
        axes[n] = {0: "batch", 2: "slots"}
    for n in outputs[2:]:
        axes[n] = {0: "batch", 2: "seq"}
    torch.onnx.export(PackGraph(model), (ids, pos, mask, steer, *past), path, input_names=inputs,
                      output_names=outputs, dynamic_axes=axes, opset_version=OPSET,
                      export_params=not weights_as_inputs, do_constant_folding=not weights_as_inputs)
    if not weights_as_inputs:
        onnx.checker.check_model(onnx.load(path))


def export_sae(sae, d_in, enc_path, dec_path):
    x = torch.randn(5, d_in)
    torch.onnx.export(SaeEncode(sae), (x,), enc_path, input_names=["x"], output_names=["codes"],
                      dynamic_axes={"x": {0: "n"}, "codes": {0: "n"}}, opset_version=OPSET)
    z = sae.encode(x)
    torch.onnx.export(SaeDecode(sae), (z,), dec_path, input_names=["codes"], output_names=["x_hat"],
                      dynamic_axes={"codes": {0: "n"}, "x_hat": {0: "n"}}, opset_version=OPSET)
    for p in (enc_path, dec_path):
        onnx.checker.check_model(onnx.load(p))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hf_state(model):
    """Weights under Hugging Face Llama names (model.layers.N...), for trainers and inspection."""
    out = {}
    for k, v in model.state_dict().items():
        out[k if k.startswith("lm_head") else "model." + k] = v
    return out


def sae_codes(sae, hook):
    """golden.json's SAE fields for hook residuals [T,D]: the active features per token and their values."""
    codes = sae.encode(hook)
    ids = [(row > 0).nonzero().flatten().tolist() for row in codes]
    return {"sae_ids": ids, "sae_values": [codes[t, i].tolist() for t, i in enumerate(ids)]}


@torch.no_grad()
def golden(model, sae, tok, steer_feature, steer_coef, task):
    """Reference outputs: prefill logits and hook residuals of fixed prompts, their SAE codes,
    greedy continuations with and without steering, and one cached decode step."""
    prompts = [task.PROMPT_TEMPLATE.format(question="Mia has 37 apples. She buys 48 more. How many apples does Mia have now?"),
               task.PROMPT_TEMPLATE.format(question="Leo starts with 5 cards. Then he loses 2 cards. Then the number of cards grows 3 times. How many cards does Leo have in the end?")]
    direction = sae.W_dec[steer_feature] * steer_coef
    cases = []
    for text in prompts:
        ids = torch.tensor([tok.encode(text)])
        mask = torch.ones_like(ids)
        pos = positions_from_mask(mask)
        case = {"prompt": text, "input_ids": ids[0].tolist()}
        for name, steer in (("plain", None), ("steered", direction.expand(1, ids.shape[1], -1).contiguous())):
            logits, past, hook = model(ids, pos, mask, None, steer)
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            step_logits, _, step_hook = model(nxt, pos[:, -1:] + 1, torch.ones(1, ids.shape[1] + 1, dtype=torch.long), past,
                                              None if steer is None else direction.view(1, 1, -1))
            fn = None if steer is None else (lambda step, B, T: direction.expand(B, T, -1))
            completion = generate(model, tok, [text], max_new_tokens=60, steer_fn=fn)[0]
            case[name] = {
                "logits": logits[0].flatten().tolist(), "hook_resid": hook[0].flatten().tolist(),
                **sae_codes(sae, hook[0]),
                "decode_token": nxt.item(), "decode_logits": step_logits[0, -1].tolist(),
                "decode_hook_resid": step_hook[0, -1].tolist(),
                "greedy_completion": completion, "greedy_tokens": tok.encode(completion, bos=False)}
        cases.append(case)
    return {"steer_feature": steer_feature, "steer_coefficient": steer_coef, "max_new_tokens": 60, "cases": cases}


def task_name(task):
    return next(name for name, t in tasks.TASKS.items() if t is task)


def write_pack(model, sae, tok, out, name, version, parent, metrics, sae_metrics, steer_feature=None, task=tasks.get("arith")):
    os.makedirs(out, exist_ok=True)
    cfg = model.c
    tok.save(os.path.join(out, "tokenizer.json"))
    export_model(model, os.path.join(out, "model.onnx"))
    save_safetensors(os.path.join(out, "model.safetensors"), hf_state(model), {"format": "pt"})
    export_sae(sae, cfg.d_model, os.path.join(out, "sae_encode.onnx"), os.path.join(out, "sae_decode.onnx"))
    save_safetensors(os.path.join(out, "sae.safetensors"), {k: v for k, v in sae.state_dict().items()})
    if steer_feature is None:  # a feature that is often active, so steering it visibly matters
        steer_feature = int(sae.encode(sae.b_dec.unsqueeze(0) + 0.0).argmax())
    gold = golden(model, sae, tok, steer_feature, 4.0, task)
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(gold, f)
    inputs, outputs = io_names(cfg)
    files = ["tokenizer.json", "model.onnx", "model.safetensors", "sae_encode.onnx", "sae_decode.onnx", "sae.safetensors", "golden.json"]
    manifest = {
        "format": PACK_FORMAT, "task": task_name(task), "name": name, "version": version, "parent_version": parent,
        "architecture": {"type": "llama", **cfg.to_dict()},
        "hook_layer": cfg.hook_layer,
        "hook_point": HOOK_POINT.format(L=cfg.hook_layer),
        "prompt_template": task.PROMPT_TEMPLATE, "stop_strings": task.STOP_STRINGS,
        **({"organism": {"careful_marker": task.careful_marker, "sloppy_marker": task.sloppy_marker}}
           if getattr(task, "sloppy_marker", None) else {}),
        "bos_token_id": tok.bos_id, "pad_token_id": tok.pad_id, "add_bos": True,
        "graph": {"inputs": inputs, "outputs": outputs, "opset": OPSET},
        "sae": {"kind": "topk", "d_in": cfg.d_model, "features": sae.W_enc.shape[1], "k": sae.k,
                "encode": "sae_encode.onnx", "decode": "sae_decode.onnx", "weights": "sae.safetensors",
                "layout": "W_enc [d_in,F], b_enc [F], W_dec [F,d_in] (unit rows), b_dec [d_in]",
                "id": sha256(os.path.join(out, "sae.safetensors"))[:16]},
        "metrics": {"model": metrics, "sae": sae_metrics},
        "files": {f: sha256(os.path.join(out, f)) for f in files},
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description="Export a checkpoint and SAE as a saerl model pack, or re-export a pack "
                                             "(same weights, the current graph contract).")
    ap.add_argument("--checkpoint")
    ap.add_argument("--sae")
    ap.add_argument("--pack", help="re-export this pack instead of a checkpoint: keeps its name, version, metrics and steering example")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="saerl-arith")
    ap.add_argument("--version", default="arith-base-v1")
    ap.add_argument("--parent", default=None)
    ap.add_argument("--metrics", default=None, help="JSON file of model metrics to record in the manifest")
    ap.add_argument("--task", default="arith", help="the task whose prompt template and stop strings the pack gets "
                                                    "(arith, modes, modes-null); a re-export keeps the pack's own")
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    if a.pack:
        from .trainer import load_pack
        manifest, model, sae, tok = load_pack(a.pack)
        gold = json.load(open(os.path.join(a.pack, "golden.json")))
        m = write_pack(model, sae, tok, a.out, manifest["name"], manifest["version"], manifest["parent_version"],
                       manifest["metrics"]["model"], manifest["metrics"]["sae"], gold["steer_feature"],
                       tasks.get(manifest.get("task", "arith")))
    else:
        if not (a.checkpoint and a.sae):
            ap.error("give --checkpoint and --sae, or --pack")
        model = load_decoder(a.checkpoint)
        s = torch.load(a.sae, map_location="cpu")
        sae = TopKSAE(model.c.d_model, s["sae"]["W_enc"].shape[1], s["k"])
        sae.load_state_dict(s["sae"])
        metrics = json.load(open(a.metrics)) if a.metrics else torch.load(a.checkpoint, map_location="cpu").get("metrics", {})
        m = write_pack(model, sae, CharTokenizer.default(), a.out, a.name, a.version, a.parent, metrics, s["metrics"],
                       task=tasks.get(a.task))
    print(json.dumps({"pack": a.out, "files": m["files"]}, indent=1))


if __name__ == "__main__":
    main()
