"""Tiny random Hugging Face checkpoints and public-format SAEs, imported as packs: the test bed of
the importer (foundry.import_hf) that needs no download.

  python3 -m foundry.tiny --out DIR

writes DIR/checkpoints/<model> (config.json, safetensors shards, tokenizer.json) for a Llama with
grouped-query attention and llama3 RoPE scaling (two shards, one in bf16, and an index), a Qwen2
with attention biases and tied embeddings, a Gemma-2 (sliding window, soft-capping, head_dim !=
hidden/heads, sandwich norms), a Gemma (multi-query attention, 1+w norms, scaled embeddings) and a
Mistral (sliding window on every layer); DIR/saes/ in each
public SAE layout (SAELens standard, jumprelu and topk; sparsify; Goodfire; Gemma Scope), each
checked against its release's own formulas after conversion; and DIR/packs/<model> via the
importer with --check-reference (the foundry's forward against the independent NumPy forward).
DIR/tiny.json lists the packs for the Java test (HfImportTest), which runs them on ONNX Runtime.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from . import hf, import_hf, sae_formats
from .safetensors_io import save as save_safetensors
from .tokenizer import CharTokenizer

D, FEATURES = 64, 128

MODELS = {
    "llama": {"model_type": "llama", "hidden_size": D, "num_hidden_layers": 3, "num_attention_heads": 4,
              "num_key_value_heads": 2, "intermediate_size": 96, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
              "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                               "original_max_position_embeddings": 64},
              "max_position_embeddings": 256, "tie_word_embeddings": False, "hidden_act": "silu",
              "bos_token_id": 1, "eos_token_id": [2]},
    "qwen2": {"model_type": "qwen2", "hidden_size": D, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "intermediate_size": 96, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
              "max_position_embeddings": 256, "tie_word_embeddings": True, "hidden_act": "silu",
              "use_sliding_window": False, "bos_token_id": None, "eos_token_id": 2},
    "gemma2": {"model_type": "gemma2", "hidden_size": D, "num_hidden_layers": 3, "num_attention_heads": 4,
               "num_key_value_heads": 2, "head_dim": 24, "intermediate_size": 96, "rms_norm_eps": 1e-6,
               "rope_theta": 10000.0, "max_position_embeddings": 256, "hidden_activation": "gelu_pytorch_tanh",
               "query_pre_attn_scalar": 32, "sliding_window": 4, "attn_logit_softcapping": 2.0,
               "final_logit_softcapping": 8.0, "bos_token_id": 1, "eos_token_id": 2},
    "gemma": {"model_type": "gemma", "hidden_size": D, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 1, "head_dim": 16, "intermediate_size": 96, "rms_norm_eps": 1e-6,
              "rope_theta": 10000.0, "max_position_embeddings": 256, "hidden_act": "gelu", "bos_token_id": 1,
              "eos_token_id": 2},
    "mistral": {"model_type": "mistral", "hidden_size": D, "num_hidden_layers": 2, "num_attention_heads": 4,
                "num_key_value_heads": 1, "intermediate_size": 96, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                "max_position_embeddings": 256, "sliding_window": 5, "tie_word_embeddings": False,
                "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2},
}


def hf_tensors(cfg, g):
    """Random weights under Hugging Face names and shapes, large enough that every part matters."""
    D, H, Hkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    Dh = cfg.get("head_dim") or D // H
    Fd, V = cfg["intermediate_size"], cfg["vocab_size"]
    gemma = cfg["model_type"].startswith("gemma")
    rnd = lambda *shape, std=0.3: torch.randn(*shape, generator=g) * std
    norm = lambda: rnd(D, std=0.2) + (0.0 if gemma else 1.0)
    tied = cfg.get("tie_word_embeddings", gemma)
    # tied embeddings that are large make every row predict its own token; Gemma scales them by sqrt(D)
    t = {"model.embed_tokens.weight": rnd(V, D, std=(0.15 if gemma else 0.4) if tied else 1.0), "model.norm.weight": norm()}
    if not tied:
        t["lm_head.weight"] = rnd(V, D, std=0.5)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = norm()
        t[p + "post_attention_layernorm.weight"] = norm()
        if cfg["model_type"] == "gemma2":
            t[p + "pre_feedforward_layernorm.weight"] = norm()
            t[p + "post_feedforward_layernorm.weight"] = norm()
        for name, rows in (("q_proj", H * Dh), ("k_proj", Hkv * Dh), ("v_proj", Hkv * Dh)):
            t[p + f"self_attn.{name}.weight"] = rnd(rows, D, std=D ** -0.5 * 1.5)
            if cfg["model_type"] == "qwen2":
                t[p + f"self_attn.{name}.bias"] = rnd(rows, std=0.5)
        t[p + "self_attn.o_proj.weight"] = rnd(D, H * Dh, std=(H * Dh) ** -0.5)
        t[p + "mlp.gate_proj.weight"] = rnd(Fd, D, std=D ** -0.5)
        t[p + "mlp.up_proj.weight"] = rnd(Fd, D, std=D ** -0.5)
        t[p + "mlp.down_proj.weight"] = rnd(D, Fd, std=Fd ** -0.5)
    return t


def write_checkpoint(out, name, g, cfg=None):
    tok = CharTokenizer.default()
    cfg = dict(cfg or {**MODELS[name], "vocab_size": len(tok.vocab)})
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    tok.save(os.path.join(d, "tokenizer.json"))
    t = hf_tensors(cfg, g)
    if name == "llama":  # two shards and an index; the first in bf16, as many releases are
        first = {k: v.bfloat16() for k, v in t.items() if k.startswith(("model.embed_tokens", "model.layers.0."))}
        rest = {k: v for k, v in t.items() if k not in first}
        shards = {"model-00001-of-00002.safetensors": first, "model-00002-of-00002.safetensors": rest}
        for file, part in shards.items():
            save_safetensors(os.path.join(d, file), part, {"format": "pt"})
        index = {"metadata": {}, "weight_map": {k: file for file, part in shards.items() for k in part}}
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=1)
    else:
        save_safetensors(os.path.join(d, "model.safetensors"), t, {"format": "pt"})
    return d


def _topk(acts, k):
    top = acts.topk(k, dim=-1)
    return torch.zeros_like(acts).scatter(-1, top.indices, top.values)


def write_saes(out, g):
    """Each public layout, with the release's own encode/decode written from its documentation.
    Returns {name: (path, expected hook_layer, encode, decode)}."""
    rnd = lambda *shape, std=1.0: torch.randn(*shape, generator=g) * std
    W_enc, b_enc = rnd(D, FEATURES, std=D ** -0.5), rnd(FEATURES, std=0.3)
    W_dec, b_dec, thr = rnd(FEATURES, D, std=0.3), rnd(D, std=0.3), rnd(FEATURES, std=0.3).abs()
    pre = lambda x, minus: (x - b_dec if minus else x) @ W_enc + b_enc
    dec = lambda z: z @ W_dec + b_dec
    saes = {}

    def saelens(name, cfg, tensors, encode, hook):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "cfg.json"), "w") as f:
            json.dump({"d_in": D, "d_sae": FEATURES, "dtype": "float32", "normalize_activations": "none", **cfg}, f)
        save_safetensors(os.path.join(d, "sae_weights.safetensors"), tensors)
        saes[name] = (d, hook, encode, dec)

    base = {"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec}
    saelens("saelens-standard", {"architecture": "standard", "hook_name": "blocks.1.hook_resid_pre",
                                 "apply_b_dec_to_input": True}, base, lambda x: F.relu(pre(x, True)), 1)
    saelens("saelens-jumprelu", {"architecture": "jumprelu", "hook_name": "blocks.1.hook_resid_post",
                                 "apply_b_dec_to_input": False}, {**base, "threshold": thr},
            lambda x: F.relu(pre(x, False)) * (pre(x, False) > thr), 2)
    saelens("saelens-topk", {"architecture": "topk", "k": 6, "hook_name": "blocks.0.hook_resid_post",
                             "apply_b_dec_to_input": True}, base, lambda x: _topk(F.relu(pre(x, True)), 6), 1)

    d = os.path.join(out, "sparsify", "layers.0")  # sparsify names the directory after the hookpoint
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "cfg.json"), "w") as f:
        json.dump({"expansion_factor": FEATURES // D, "normalize_decoder": True, "num_latents": FEATURES, "k": 5,
                   "multi_topk": False, "d_in": D}, f)
    save_safetensors(os.path.join(d, "sae.safetensors"),
                     {"encoder.weight": W_enc.t().contiguous(), "encoder.bias": b_enc, "W_dec": W_dec, "b_dec": b_dec})
    saes["sparsify"] = (d, 1, lambda x: _topk(F.relu(F.linear(x - b_dec, W_enc.t(), b_enc)), 5), dec)

    f = os.path.join(out, "goodfire", "Tiny-Llama-SAE-l1.pth")  # Goodfire's layer-1 SAE: residual after block 1
    os.makedirs(os.path.dirname(f), exist_ok=True)
    torch.save({"encoder_linear.weight": W_enc.t().contiguous(), "encoder_linear.bias": b_enc,
                "decoder_linear.weight": W_dec.t().contiguous(), "decoder_linear.bias": b_dec}, f)
    saes["goodfire"] = (f, 2, lambda x: F.relu(F.linear(x, W_enc.t(), b_enc)), lambda z: F.linear(z, W_dec.t(), b_dec))

    d = os.path.join(out, "gemmascope", "layer_1", "width_128", "average_l0_20")
    os.makedirs(d, exist_ok=True)
    np.savez(os.path.join(d, "params.npz"), W_enc=W_enc.numpy(), W_dec=W_dec.numpy(), b_enc=b_enc.numpy(),
             b_dec=b_dec.numpy(), threshold=thr.numpy())
    saes["gemmascope"] = (os.path.join(d, "params.npz"), 2,
                          lambda x: (pre(x, False) > thr) * F.relu(pre(x, False)), dec)
    return saes


@torch.no_grad()
def check_sae_formats(saes, g):
    """Each layout converted to the pack's SAE gives the release's own codes and reconstructions."""
    x = torch.randn(32, D, generator=g)
    report = {}
    for name, (path, hook, encode, decode) in saes.items():
        sae, got_hook, source = sae_formats.load(path)
        if got_hook != hook:
            raise SystemExit(f"{name}: hook layer {got_hook}, expected {hook}")
        z, want = sae.encode(x), encode(x)
        err = max(float((z - want).abs().max()), float((sae.decode(want) - decode(want)).abs().max()))
        active = float((want > 0).float().sum(-1).mean())
        if err > 1e-5 or not 0 < active < FEATURES:
            raise SystemExit(f"{name}: converted SAE differs from the release's formulas by {err:.3g} (mean active {active})")
        report[name] = {"source": source, "hook_layer": hook, "max_abs_error": err, "mean_active": active}
    return report


def check_refusals():
    """What the importer cannot reproduce exactly is refused, naming the field."""
    cases = [
        (lambda: hf.config_from_hf({**MODELS["llama"], "model_type": "gpt2", "vocab_size": 8}, {}, 1), "model_type"),
        (lambda: hf.config_from_hf({**MODELS["llama"], "vocab_size": 8, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, {}, 1),
         "rope_scaling"),
        (lambda: hf.config_from_hf({**MODELS["qwen2"], "vocab_size": 8, "use_sliding_window": True}, {}, 1), "use_sliding_window"),
        (lambda: sae_formats.hook_from_name("blocks.3.hook_resid_mid", "cfg.json"), "hook_resid_mid"),
    ]
    for call, field in cases:
        try:
            call()
        except SystemExit as e:
            if field not in str(e):
                raise SystemExit(f"refusal does not name {field}: {e}")
            continue
        raise SystemExit(f"expected a refusal naming {field}")


PACKS = {  # model -> (SAE, importer flags)
    "llama": ("saelens-jumprelu", []),
    "qwen2": ("sparsify", ["--dtype", "fp16", "--external-data", "--no-bos"]),
    "gemma2": ("gemmascope", []),
    "mistral": ("goodfire", []),
    "gemma": ("saelens-standard", []),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write tiny random Hugging Face checkpoints and public-format SAEs, and import them as packs.")
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=",".join(PACKS), help="comma-separated subset of " + ",".join(PACKS))
    ap.add_argument("--llama", metavar="H,L,HEADS,KV,FFN,VOCAB",
                    help="instead: write one random Llama checkpoint of these sizes (and a SAELens SAE at layer L/2) "
                         "to OUT/checkpoints/llama and OUT/saes, for import and benchmarks at realistic sizes")
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1234)
    if a.llama:
        hidden, layers, heads, kv, ffn, vocab = (int(x) for x in a.llama.split(","))
        cfg = {**MODELS["llama"], "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
               "num_key_value_heads": kv, "intermediate_size": ffn, "vocab_size": vocab, "max_position_embeddings": 8192,
               "rope_theta": 500000.0, "rope_scaling": {**MODELS["llama"]["rope_scaling"], "original_max_position_embeddings": 8192}}
        ckpt = write_checkpoint(os.path.join(a.out, "checkpoints"), "llama", g, cfg)
        sae = os.path.join(a.out, "saes", "saelens")
        os.makedirs(sae, exist_ok=True)
        with open(os.path.join(sae, "cfg.json"), "w") as f:
            json.dump({"architecture": "jumprelu", "d_in": hidden, "d_sae": 4 * hidden, "apply_b_dec_to_input": False,
                       "hook_name": f"blocks.{layers // 2 - 1}.hook_resid_post", "normalize_activations": "none"}, f)
        rnd = lambda *shape, std: torch.randn(*shape, generator=g) * std
        save_safetensors(os.path.join(sae, "sae_weights.safetensors"), {
            "W_enc": rnd(hidden, 4 * hidden, std=hidden ** -0.5), "b_enc": rnd(4 * hidden, std=0.1),
            "W_dec": rnd(4 * hidden, hidden, std=hidden ** -0.5), "b_dec": rnd(hidden, std=0.1), "threshold": rnd(4 * hidden, std=0.1).abs()})
        print(json.dumps({"checkpoint": ckpt, "sae": sae}))
        return
    saes = write_saes(os.path.join(a.out, "saes"), g)
    check_refusals()
    summary = {"sae_formats": check_sae_formats(saes, g), "packs": {}}
    for model in a.models.split(","):
        sae, flags = PACKS[model]
        ckpt = write_checkpoint(os.path.join(a.out, "checkpoints"), model, g)
        pack = os.path.join(a.out, "packs", model)
        import_hf.main(["--checkpoint", ckpt, "--sae", saes[sae][0], "--out", pack, "--version", f"tiny-{model}-v1",
                        "--check-reference", "--golden-length", "12", *flags])
        summary["packs"][model] = {"dir": pack, "sae": sae, "hook_layer": saes[sae][1], "flags": flags}
    with open(os.path.join(a.out, "tiny.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
