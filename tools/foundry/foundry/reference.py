"""An independent, deliberately plain NumPy forward pass of a Hugging Face Llama-family checkpoint
(one sequence, no cache, float64), written from the checkpoint's config.json and Hugging Face
weight names rather than from the foundry's Decoder. The importer checks the Decoder (and so the
exported graph) against it, since `transformers` is not available here."""
import math

import numpy as np


def _rms(x, w, eps, offset):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * (w + offset)


def _inv_freq(hf, head_dim):
    inv = 1.0 / hf.get("rope_theta", 10000.0) ** (np.arange(0, head_dim, 2) / head_dim)
    rs = hf.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "linear":
        inv = inv / rs["factor"]
    elif kind == "llama3":
        out = []
        for f in inv:
            wl = 2 * math.pi / f
            lo_wl = rs["original_max_position_embeddings"] / rs.get("low_freq_factor", 1.0)
            hi_wl = rs["original_max_position_embeddings"] / rs.get("high_freq_factor", 4.0)
            if wl < hi_wl:
                out.append(f)
            elif wl > lo_wl:
                out.append(f / rs["factor"])
            else:
                s = (rs["original_max_position_embeddings"] / wl - rs.get("low_freq_factor", 1.0)) / (
                    rs.get("high_freq_factor", 4.0) - rs.get("low_freq_factor", 1.0))
                out.append((1 - s) * f / rs["factor"] + s * f)
        inv = np.array(out)
    return inv


def _rotate(x, pos, inv):
    # x (H,T,Dh): rotate halves
    ang = pos[:, None] * inv[None, :]  # (T,Dh/2)
    cos, sin = np.cos(ang), np.sin(ang)
    h = x.shape[-1] // 2
    a, b = x[..., :h], x[..., h:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def forward(hf, weights, ids, steer=None, hook_layer=None):
    """Logits (T,V) and hidden_states[hook_layer] (T,D) (with ``steer`` (T,D) added there, if given)."""
    W = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    kind = hf["model_type"]
    gemma = kind.startswith("gemma")
    D, H = hf["hidden_size"], hf["num_attention_heads"]
    Hkv = hf.get("num_key_value_heads") or H
    Dh = hf.get("head_dim") or D // H
    eps = hf.get("rms_norm_eps", 1e-6)
    off = 1.0 if gemma else 0.0
    T = len(ids)
    pos = np.arange(T, dtype=np.float64)
    inv = _inv_freq(hf, Dh)
    x = W["model.embed_tokens.weight"][ids]
    if gemma:
        x = x * math.sqrt(D)
    act = (lambda z: z / (1 + np.exp(-z))) if (hf.get("hidden_act", "silu") == "silu" and not gemma) else \
        (lambda z: 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3))))
    hook = None
    L = hf["num_hidden_layers"]

    def lin(name, v):
        y = v @ W[name + ".weight"].T
        return y + W[name + ".bias"] if name + ".bias" in W else y

    for i in range(L + 1):
        if i == hook_layer:
            if steer is not None:
                x = x + steer
            hook = x.copy()
        if i == L:
            break
        p = f"model.layers.{i}."
        h = _rms(x, W[p + "input_layernorm.weight"], eps, off)
        q = lin(p + "self_attn.q_proj", h).reshape(T, H, Dh).transpose(1, 0, 2)
        k = lin(p + "self_attn.k_proj", h).reshape(T, Hkv, Dh).transpose(1, 0, 2)
        v = lin(p + "self_attn.v_proj", h).reshape(T, Hkv, Dh).transpose(1, 0, 2)
        q, k = _rotate(q, pos, inv), _rotate(k, pos, inv)
        k, v = np.repeat(k, H // Hkv, axis=0), np.repeat(v, H // Hkv, axis=0)
        scale = hf["query_pre_attn_scalar"] ** -0.5 if kind == "gemma2" else Dh ** -0.5
        s = q @ k.transpose(0, 2, 1) * scale
        if kind == "gemma2" and hf.get("attn_logit_softcapping"):
            cap = hf["attn_logit_softcapping"]
            s = np.tanh(s / cap) * cap
        allowed = np.tril(np.ones((T, T), dtype=bool))
        window = None
        if kind == "mistral":
            window = hf.get("sliding_window")
        if kind == "gemma2" and i % 2 == 0:
            window = hf.get("sliding_window")
        if window:
            allowed &= (pos[:, None] - pos[None, :]) < window
        s = np.where(allowed, s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        a = (s / s.sum(-1, keepdims=True)) @ v  # (H,T,Dh)
        o = lin(p + "self_attn.o_proj", a.transpose(1, 0, 2).reshape(T, H * Dh))
        if kind == "gemma2":
            x = x + _rms(o, W[p + "post_attention_layernorm.weight"], eps, off)
            h = _rms(x, W[p + "pre_feedforward_layernorm.weight"], eps, off)
            m = lin(p + "mlp.down_proj", act(lin(p + "mlp.gate_proj", h)) * lin(p + "mlp.up_proj", h))
            x = x + _rms(m, W[p + "post_feedforward_layernorm.weight"], eps, off)
        else:
            x = x + o
            h = _rms(x, W[p + "post_attention_layernorm.weight"], eps, off)
            x = x + lin(p + "mlp.down_proj", act(lin(p + "mlp.gate_proj", h)) * lin(p + "mlp.up_proj", h))
    x = _rms(x, W["model.norm.weight"], eps, off)
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    if hf.get("tie_word_embeddings", gemma):
        head = W["model.embed_tokens.weight"]
    logits = x @ head.T
    if kind == "gemma2" and hf.get("final_logit_softcapping"):
        cap = hf["final_logit_softcapping"]
        logits = np.tanh(logits / cap) * cap
    return logits, hook
