"""Loads a Hugging Face checkpoint of the Llama family (config.json, *.safetensors shards,
tokenizer.json) into the foundry's Decoder, reading safetensors directly.

Supported model_type values: llama, mistral, qwen2, gemma, gemma2. What each needs is a set of
switches on Config (docs/real-models.md has the table); anything the Decoder cannot reproduce
exactly (an unknown rope scaling, Qwen2's per-layer sliding windows, gated MLP variants) is refused
with a message naming the config.json field.
"""
import contextlib
import glob
import json
import os

import torch.nn as nn

from .model import Config, Decoder, rope_inv_freq
from .safetensors_io import load as load_safetensors

SUPPORTED = ("llama", "mistral", "qwen2", "gemma", "gemma2")


def read_config(ckpt):
    path = os.path.join(ckpt, "config.json")
    if not os.path.exists(path):
        raise SystemExit(f"{ckpt}: no config.json (a Hugging Face checkpoint directory has config.json, *.safetensors, tokenizer.json)")
    with open(path) as f:
        return json.load(f)


def load_weights(ckpt):
    """All tensors of the checkpoint: model.safetensors, or the shards named by model.safetensors.index.json."""
    index = os.path.join(ckpt, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ckpt, "*.safetensors")))
    if not files:
        raise SystemExit(f"{ckpt}: no *.safetensors files (PyTorch .bin checkpoints are not read; convert them first)")
    weights = {}
    for name in files:
        weights.update(load_safetensors(os.path.join(ckpt, name)))
    return {k: v.float() for k, v in weights.items()}


def config_from_hf(hf, weights, hook_layer):
    """Maps a Hugging Face config.json (and the weights' bias tensors) onto Config."""
    where = "config.json"
    kind = hf.get("model_type")
    if kind not in SUPPORTED:
        raise SystemExit(f"{where}: model_type {kind!r} is not supported (supported: {', '.join(SUPPORTED)})")
    need = lambda k: hf[k] if k in hf else _missing(where, k)
    n_head = need("num_attention_heads")
    d_model = need("hidden_size")
    gemma = kind.startswith("gemma")
    act = hf.get("hidden_activation") or hf.get("hidden_act", "silu")
    if act not in ("silu", "gelu_pytorch_tanh", "gelu"):
        raise SystemExit(f"{where}: hidden_act {act!r} is not supported (silu, gelu_pytorch_tanh)")
    if act == "gelu" and not gemma:
        raise SystemExit(f"{where}: hidden_act 'gelu' (exact) is not supported; Gemma's tanh approximation is")
    window = 0
    sliding_layers = "all"
    if kind == "mistral" and hf.get("sliding_window"):
        window = hf["sliding_window"]
    if kind == "gemma2":
        window, sliding_layers = hf.get("sliding_window") or 0, "even"
    if kind == "qwen2" and hf.get("use_sliding_window"):
        raise SystemExit(f"{where}: use_sliding_window true (Qwen2's per-layer windows) is not supported")
    rope_scaling = hf.get("rope_scaling")
    layer0 = "model.layers.0."
    c = Config(
        vocab_size=need("vocab_size"), d_model=d_model, n_layer=need("num_hidden_layers"), n_head=n_head,
        n_kv_head=hf.get("num_key_value_heads") or n_head, d_ff=need("intermediate_size"),
        rope_theta=float(hf.get("rope_theta", 10000.0)), norm_eps=float(hf.get("rms_norm_eps", 1e-6)),
        hook_layer=hook_layer, max_seq_len=hf.get("max_position_embeddings", 4096),
        tie_embeddings=bool(hf.get("tie_word_embeddings", gemma)) or "lm_head.weight" not in weights,
        head_dim=hf.get("head_dim") or d_model // n_head, rope_scaling=rope_scaling,
        qkv_bias=layer0 + "self_attn.q_proj.bias" in weights, o_bias=layer0 + "self_attn.o_proj.bias" in weights,
        mlp_bias=layer0 + "mlp.gate_proj.bias" in weights, mlp_act="silu" if act == "silu" else "gelu_tanh",
        norm_offset=1.0 if gemma else 0.0, embed_scale=gemma, sandwich_norms=kind == "gemma2",
        query_scale=hf["query_pre_attn_scalar"] ** -0.5 if kind == "gemma2" else 0.0,
        attn_softcap=float(hf.get("attn_logit_softcapping") or 0.0) if kind == "gemma2" else 0.0,
        final_softcap=float(hf.get("final_logit_softcapping") or 0.0) if kind == "gemma2" else 0.0,
        sliding_window=window, sliding_layers=sliding_layers)
    try:
        rope_inv_freq(c)
    except (ValueError, KeyError) as e:
        raise SystemExit(f"{where}: rope_scaling {rope_scaling}: {e}")
    return c


def _missing(where, key):
    raise SystemExit(f"{where}: field {key} is missing")


def load_checkpoint(ckpt, hook_layer):
    """(model, config.json dict) with the checkpoint's weights in the foundry's Decoder."""
    hf = read_config(ckpt)
    weights = load_weights(ckpt)
    cfg = config_from_hf(hf, weights, hook_layer)
    with _uninitialised():
        model = Decoder(cfg)
    state = {k[len("model."):] if k.startswith("model.") else k: v for k, v in weights.items()}
    if cfg.tie_embeddings:
        state["lm_head.weight"] = state["embed_tokens.weight"]
    want = set(model.state_dict())
    missing, extra = sorted(want - set(state)), sorted(set(state) - want)
    extra = [k for k in extra if not k.endswith("rotary_emb.inv_freq")]
    if missing or extra:
        raise SystemExit(f"{ckpt}: weights do not match a {hf['model_type']} of this config: "
                         f"missing {missing[:6]}{'...' if len(missing) > 6 else ''}, unexpected {extra[:6]}{'...' if len(extra) > 6 else ''}")
    for name, p in model.named_parameters():  # the loaded tensors become the parameters: no second copy
        if tuple(state[name].shape) != tuple(p.shape):
            raise SystemExit(f"{ckpt}: tensor {name} has shape {tuple(state[name].shape)}, the config needs {tuple(p.shape)}")
        p.data = state[name].contiguous()
    return model.eval(), hf


@contextlib.contextmanager
def _uninitialised():
    """Builds modules without random initialisation: their storage is allocated but never touched, so
    a large model costs no memory until its checkpoint's tensors replace it."""
    saved = nn.Linear.reset_parameters, nn.Embedding.reset_parameters
    nn.Linear.reset_parameters = nn.Embedding.reset_parameters = lambda self: None
    try:
        yield
    finally:
        nn.Linear.reset_parameters, nn.Embedding.reset_parameters = saved
