"""Public SAE releases converted to the pack's SAE (docs/real-models.md).

The pack's SAE (``PackSAE``) is one module for every kind:
  pre = (x - b_dec if input_minus_b_dec else x) @ W_enc + b_enc
  relu: ReLU(pre); jumprelu: ReLU(pre) where pre > threshold; topk: the k largest of ReLU(pre)
  decode(z) = z @ W_dec + b_dec
stored as sae.safetensors: W_enc [d_in,F], b_enc [F], W_dec [F,d_in], b_dec [d_in], threshold [F]
(jumprelu only). Decoder rows keep the release's norms (a feature's decoder row is the direction
its activation writes).

Formats read:
- SAELens: a directory with cfg.json and sae_weights.safetensors (architecture standard, jumprelu
  or topk; ``apply_b_dec_to_input``; hook from ``hook_name`` blocks.L.hook_resid_pre|post).
- EleutherAI sparsify: a directory (named after its hookpoint, e.g. layers.19) with cfg.json and
  sae.safetensors (encoder.weight [F,d_in], encoder.bias, W_dec [F,d_in], b_dec; TopK on ReLU of
  encoder(x - b_dec)).
- Goodfire: a torch state dict (.pth/.pt) or .safetensors with encoder_linear.weight [F,d_in],
  encoder_linear.bias, decoder_linear.weight [d_in,F], decoder_linear.bias (ReLU, no input bias).
- Gemma Scope: params.npz (W_enc [d_in,F], W_dec [F,d_in], b_enc, b_dec, threshold; JumpReLU);
  the hook comes from a layer_L path component.

Hook convention: the pack's hook_layer L is the residual stream entering block L (Hugging Face
hidden_states[L]). "Residual after block L" (SAELens hook_resid_post of block L, sparsify
layers.L, Goodfire's layer-L SAE, Gemma Scope layer_L) is therefore hook_layer L + 1.
"""
import json
import os
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .safetensors_io import load as load_safetensors

FORMATS = ("saelens", "sparsify", "goodfire", "gemmascope")


class PackSAE(nn.Module):
    def __init__(self, W_enc, b_enc, W_dec, b_dec, kind, k=0, threshold=None, input_minus_b_dec=False):
        super().__init__()
        if kind not in ("relu", "jumprelu", "topk"):
            raise ValueError(f"SAE kind {kind!r} (relu, jumprelu, topk)")
        if kind == "topk" and k < 1:
            raise ValueError("a topk SAE needs k >= 1")
        if kind == "jumprelu" and threshold is None:
            raise ValueError("a jumprelu SAE needs a threshold")
        d_in, n = W_enc.shape
        for name, t, shape in (("b_enc", b_enc, (n,)), ("W_dec", W_dec, (n, d_in)), ("b_dec", b_dec, (d_in,))):
            if tuple(t.shape) != shape:
                raise ValueError(f"SAE tensor {name} has shape {tuple(t.shape)}, expected {shape} (W_enc is {tuple(W_enc.shape)})")
        self.kind, self.k, self.input_minus_b_dec = kind, k, bool(input_minus_b_dec)
        self.W_enc, self.b_enc = nn.Parameter(W_enc.float()), nn.Parameter(b_enc.float())
        self.W_dec, self.b_dec = nn.Parameter(W_dec.float()), nn.Parameter(b_dec.float())
        self.threshold = nn.Parameter(threshold.float()) if threshold is not None else None

    def encode(self, x):
        pre = (x - self.b_dec if self.input_minus_b_dec else x) @ self.W_enc + self.b_enc
        act = F.relu(pre)
        if self.kind == "jumprelu":
            return act * (pre > self.threshold).to(act.dtype)
        if self.kind == "topk":
            top = act.topk(self.k, dim=-1)
            return torch.zeros_like(act).scatter(-1, top.indices, top.values)
        return act

    def decode(self, z):
        return z @ self.W_dec + self.b_dec

    def tensors(self):
        out = {"W_enc": self.W_enc, "b_enc": self.b_enc, "W_dec": self.W_dec, "b_dec": self.b_dec}
        if self.threshold is not None:
            out["threshold"] = self.threshold
        return out

    def spec(self):
        return {"kind": self.kind, "d_in": self.W_enc.shape[0], "features": self.W_enc.shape[1], "k": self.k,
                "input_minus_b_dec": self.input_minus_b_dec}


def detect(path):
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "sae_weights.safetensors")):
            return "saelens"
        if os.path.exists(os.path.join(path, "sae.safetensors")):
            return "sparsify"
        if os.path.exists(os.path.join(path, "params.npz")):
            return "gemmascope"
    elif path.endswith(".npz"):
        return "gemmascope"
    elif path.endswith((".pth", ".pt", ".safetensors")):
        return "goodfire"
    raise SystemExit(f"{path}: cannot tell the SAE format (give --sae-format, one of {', '.join(FORMATS)})")


def load(path, fmt=None):
    """(PackSAE, hook_layer or None, description of the source)."""
    fmt = fmt or detect(path)
    if fmt not in FORMATS:
        raise SystemExit(f"--sae-format {fmt!r}: one of {', '.join(FORMATS)}")
    return {"saelens": _saelens, "sparsify": _sparsify, "goodfire": _goodfire, "gemmascope": _gemmascope}[fmt](path)


def _need(tensors, names, where):
    missing = [n for n in names if n not in tensors]
    if missing:
        raise SystemExit(f"{where}: SAE tensor(s) {missing} missing (has {sorted(tensors)})")
    return [tensors[n] for n in names]


def _json(path):
    if not os.path.exists(path):
        raise SystemExit(f"{path}: missing")
    with open(path) as f:
        return json.load(f)


def hook_from_name(name, where):
    """hook_layer from a SAELens/TransformerLens hook name or a sparsify hookpoint."""
    m = re.fullmatch(r"blocks\.(\d+)\.hook_resid_(pre|post)", name or "")
    if m:
        return int(m.group(1)) + (1 if m.group(2) == "post" else 0)
    m = re.fullmatch(r"(?:model\.)?layers\.(\d+)", name or "")
    if m:
        return int(m.group(1)) + 1
    raise SystemExit(f"{where}: hook {name!r} is not a residual-stream hook saerl can steer "
                     "(blocks.L.hook_resid_pre|post or layers.L); give --hook-layer to override")


def _saelens(path):
    cfg = _json(os.path.join(path, "cfg.json"))
    where = os.path.join(path, "cfg.json")
    arch = cfg.get("architecture", "standard")
    norm = cfg.get("normalize_activations") or "none"
    if norm != "none":
        raise SystemExit(f"{where}: normalize_activations {norm!r} needs a dataset-dependent scale saerl does not store; only 'none' is supported")
    t = load_safetensors(os.path.join(path, "sae_weights.safetensors"))
    W_enc, b_enc, W_dec, b_dec = _need(t, ["W_enc", "b_enc", "W_dec", "b_dec"], path)
    minus = bool(cfg.get("apply_b_dec_to_input", arch != "jumprelu"))
    if arch == "standard":
        act = cfg.get("activation_fn_str", cfg.get("activation_fn", "relu"))
        if act == "topk":
            sae = PackSAE(W_enc, b_enc, W_dec, b_dec, "topk", k=int(cfg.get("activation_fn_kwargs", {}).get("k", 0)), input_minus_b_dec=minus)
        elif act == "relu":
            sae = PackSAE(W_enc, b_enc, W_dec, b_dec, "relu", input_minus_b_dec=minus)
        else:
            raise SystemExit(f"{where}: activation_fn {act!r} is not supported (relu, topk)")
    elif arch == "jumprelu":
        if "threshold" in t:
            thr = t["threshold"]
        elif "log_threshold" in t:
            thr = t["log_threshold"].exp()
        else:
            raise SystemExit(f"{path}: a jumprelu SAE needs threshold or log_threshold")
        sae = PackSAE(W_enc, b_enc, W_dec, b_dec, "jumprelu", threshold=thr, input_minus_b_dec=minus)
    elif arch == "topk":
        sae = PackSAE(W_enc, b_enc, W_dec, b_dec, "topk", k=int(cfg["k"]), input_minus_b_dec=minus)
    else:
        raise SystemExit(f"{where}: architecture {arch!r} is not supported (standard, jumprelu, topk)")
    hook = cfg.get("hook_name")
    return sae, hook_from_name(hook, where) if hook else None, f"SAELens {arch} ({hook})"


def _sparsify(path):
    cfg = _json(os.path.join(path, "cfg.json"))
    t = load_safetensors(os.path.join(path, "sae.safetensors"))
    if "W_skip" in t:
        raise SystemExit(f"{path}: a transcoder (W_skip) is not an SAE on the residual stream")
    enc_w, enc_b, W_dec, b_dec = _need(t, ["encoder.weight", "encoder.bias", "W_dec", "b_dec"], path)
    sae = PackSAE(enc_w.t().contiguous(), enc_b, W_dec, b_dec, "topk", k=int(cfg["k"]), input_minus_b_dec=True)
    name = os.path.basename(os.path.normpath(path))
    try:
        hook = hook_from_name(name, path)
    except SystemExit:
        hook = None
    return sae, hook, f"sparsify TopK k={cfg['k']} ({name})"


def _goodfire(path):
    t = load_safetensors(path) if path.endswith(".safetensors") else torch.load(path, map_location="cpu")
    enc_w, enc_b, dec_w, dec_b = _need(t, ["encoder_linear.weight", "encoder_linear.bias", "decoder_linear.weight", "decoder_linear.bias"], path)
    sae = PackSAE(enc_w.t().contiguous(), enc_b, dec_w.t().contiguous(), dec_b, "relu", input_minus_b_dec=False)
    m = re.search(r"-l(\d+)|_l(\d+)", os.path.basename(path))
    hook = int(m.group(1) or m.group(2)) + 1 if m else None  # Goodfire's layer-L SAE reads the residual after block L
    return sae, hook, f"Goodfire ReLU ({os.path.basename(path)})"


def _gemmascope(path):
    file = os.path.join(path, "params.npz") if os.path.isdir(path) else path
    p = np.load(file)
    W_enc, W_dec, b_enc, b_dec, thr = (torch.from_numpy(np.asarray(p[n], dtype=np.float32)) for n in ("W_enc", "W_dec", "b_enc", "b_dec", "threshold"))
    sae = PackSAE(W_enc, b_enc, W_dec, b_dec, "jumprelu", threshold=thr, input_minus_b_dec=False)
    m = re.search(r"layer_(\d+)", os.path.abspath(file))
    return sae, int(m.group(1)) + 1 if m else None, f"Gemma Scope JumpReLU ({file})"
