"""A Llama-family decoder (RMSNorm, RoPE, grouped-query attention, gated MLP) with a KV cache and a
steering input; the switches in Config also cover Mistral, Qwen2 and Gemma-2 checkpoints.

The forward pass is the model pack's contract (docs/model-pack.md):
  input_ids [B,T], position_ids [B,T], attention_mask [B,S+T] (1 = real token, 0 = empty slot or
  padding), past key/values per layer [B,Hkv,S,Dh] (S cache slots; every real slot precedes the new
  tokens, so it needs no causal check), steer [B,T,D] added to the residual stream at the hook layer;
  returns logits [B,T,V], this pass's own key/values [B,Hkv,T,Dh] per layer, hook_resid [B,T,D].
The caller owns the cache: it appends the returned keys and values to it. Attention over the cache
and over the new tokens is computed as two score blocks joined before the softmax, so a pass never
copies the cache (the reason: concatenating it cost a third of every decode step).
``hook_layer = L`` means the residual stream entering block L (Hugging Face ``hidden_states[L]``;
L = n_layer is the output of the last block, before the final norm); ``hook_resid`` is that stream
before the steering vector is added (pack format 3).
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK_VALUE = -1e9  # large negative, not -inf: a fully padded row stays finite


@dataclass
class Config:
    vocab_size: int
    d_model: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_kv_head: int = 4
    d_ff: int = 352
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    hook_layer: int = 2
    max_seq_len: int = 512
    tie_embeddings: bool = False
    head_dim: int = 0  # 0: d_model // n_head
    rope_scaling: dict = None  # Hugging Face rope_scaling: None, {"rope_type": "linear"|"llama3", ...}
    qkv_bias: bool = False  # Qwen2
    o_bias: bool = False
    mlp_bias: bool = False
    mlp_act: str = "silu"  # "gelu_tanh" for Gemma
    norm_offset: float = 0.0  # Gemma's RMSNorm scales by (1 + weight)
    embed_scale: bool = False  # Gemma multiplies embeddings by sqrt(d_model)
    sandwich_norms: bool = False  # Gemma-2: a norm after attention and after the MLP too
    query_scale: float = 0.0  # 0: head_dim ** -0.5 (Gemma-2: query_pre_attn_scalar ** -0.5)
    attn_softcap: float = 0.0
    final_softcap: float = 0.0
    sliding_window: int = 0  # 0: none
    sliding_layers: str = "all"  # "all" (Mistral) or "even" (Gemma-2: layers 0, 2, 4, ...)

    def __post_init__(self):
        if not self.head_dim:
            self.head_dim = self.d_model // self.n_head
        if self.n_head % self.n_kv_head:
            raise ValueError(f"n_head {self.n_head} is not a multiple of n_kv_head {self.n_kv_head}")
        if not 0 <= self.hook_layer <= self.n_layer:
            raise ValueError(f"hook_layer {self.hook_layer} outside 0..{self.n_layer}")

    def to_dict(self):
        return asdict(self)

    def window(self, layer):
        if not self.sliding_window or (self.sliding_layers == "even" and layer % 2):
            return 0
        return self.sliding_window


def rope_inv_freq(c: Config):
    """Per-pair inverse frequencies, with the checkpoint's scaling (Hugging Face's formulas)."""
    inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2).float() / c.head_dim))
    rs = c.rope_scaling or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "default":
        return inv
    if kind == "linear":
        return inv / rs["factor"]
    if kind == "llama3":
        factor, low, high = rs["factor"], rs.get("low_freq_factor", 1.0), rs.get("high_freq_factor", 4.0)
        old = rs["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > old / low, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        mid = (1 - smooth) * scaled / factor + smooth * scaled
        is_mid = (wavelen >= old / high) & (wavelen <= old / low)
        return torch.where(is_mid, mid, scaled)
    raise ValueError(f"rope_scaling type {kind!r} is not supported (default, linear and llama3 are)")


class RMSNorm(nn.Module):
    def __init__(self, d, eps, offset=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(d) if offset else torch.ones(d))
        self.eps = eps
        self.offset = offset

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * (self.weight + self.offset)


def rope(x, cos, sin):
    # x (B,H,T,Dh); cos, sin (B,1,T,Dh/2): rotate the two halves (Llama / HF convention)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Attention(nn.Module):
    def __init__(self, c: Config, window=0):
        super().__init__()
        self.c = c
        self.window = window  # a sliding window makes the cache mask differ per query row
        self.q_proj = nn.Linear(c.d_model, c.n_head * c.head_dim, bias=c.qkv_bias)
        self.k_proj = nn.Linear(c.d_model, c.n_kv_head * c.head_dim, bias=c.qkv_bias)
        self.v_proj = nn.Linear(c.d_model, c.n_kv_head * c.head_dim, bias=c.qkv_bias)
        self.o_proj = nn.Linear(c.n_head * c.head_dim, c.d_model, bias=c.o_bias)

    def scores(self, q, k, bias):
        s = q @ k.transpose(-2, -1) * (self.c.query_scale or self.c.head_dim ** -0.5)
        if self.c.attn_softcap:
            s = torch.tanh(s / self.c.attn_softcap) * self.c.attn_softcap
        return s + bias

    def forward(self, x, cos, sin, bias_past, bias_new, past_k, past_v):
        """bias_past (B,1,T|1,S) and bias_new (B,1,T,T) are additive masks; returns the output and this
        pass's keys and values (B,Hkv,T,Dh)."""
        B, T, _ = x.shape
        c = self.c
        rep = c.n_head // c.n_kv_head
        q = self.q_proj(x).view(B, T, c.n_head, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, c.n_kv_head, c.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, c.n_kv_head, c.head_dim).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        # the query heads sharing a key/value head become rows of one matrix (HF repeat_kv order:
        # head h reads kv head h // rep), so grouped-query attention never repeats the cache
        qg = q.reshape(B, c.n_kv_head, rep * T, c.head_dim)
        s_new = self.scores(qg, k, bias_new.repeat(1, 1, rep, 1))
        if past_k is None:
            y = F.softmax(s_new, dim=-1) @ v
        else:
            S = past_k.shape[2]
            bp = bias_past.repeat(1, 1, rep, 1) if self.window else bias_past
            p = F.softmax(torch.cat([self.scores(qg, past_k, bp), s_new], dim=-1), dim=-1)
            y = p[..., :S] @ past_v + p[..., S:] @ v
        y = y.reshape(B, c.n_head, T, c.head_dim).transpose(1, 2).reshape(B, T, -1)
        return self.o_proj(y), k, v


class MLP(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.gate_proj = nn.Linear(c.d_model, c.d_ff, bias=c.mlp_bias)
        self.up_proj = nn.Linear(c.d_model, c.d_ff, bias=c.mlp_bias)
        self.down_proj = nn.Linear(c.d_ff, c.d_model, bias=c.mlp_bias)
        self.act = F.silu if c.mlp_act == "silu" else (lambda x: F.gelu(x, approximate="tanh"))

    def forward(self, x):
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: Config, layer: int):
        super().__init__()
        self.input_layernorm = RMSNorm(c.d_model, c.norm_eps, c.norm_offset)
        self.self_attn = Attention(c, c.window(layer))
        self.post_attention_layernorm = RMSNorm(c.d_model, c.norm_eps, c.norm_offset)
        self.mlp = MLP(c)
        self.sandwich = c.sandwich_norms
        if c.sandwich_norms:  # Gemma-2: post_attention_layernorm normalises the attention output
            self.pre_feedforward_layernorm = RMSNorm(c.d_model, c.norm_eps, c.norm_offset)
            self.post_feedforward_layernorm = RMSNorm(c.d_model, c.norm_eps, c.norm_offset)

    def forward(self, x, cos, sin, bias_past, bias_new, past_k, past_v):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, bias_past, bias_new, past_k, past_v)
        if self.sandwich:
            x = x + self.post_attention_layernorm(a)
            return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x))), k, v
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class Decoder(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.d_model)
        self.layers = nn.ModuleList([Block(c, i) for i in range(c.n_layer)])
        self.norm = RMSNorm(c.d_model, c.norm_eps, c.norm_offset)
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        self.register_buffer("inv_freq", rope_inv_freq(c), persistent=False)

    def masks(self, position_ids, attention_mask, S, window):
        """Additive masks for the cache slots (B,1,1,S), or (B,1,T,S) with a sliding window, and for
        the new tokens (B,1,T,T)."""
        T = position_ids.shape[1]
        m_past, m_new = attention_mask[:, :S] > 0, attention_mask[:, S:] > 0
        causal = torch.ones(T, T, dtype=torch.bool, device=position_ids.device).tril()
        allowed_new = causal.unsqueeze(0) & m_new.unsqueeze(1)  # (B,T,T)
        allowed_past = m_past.unsqueeze(1)  # (B,1,S)
        if window:
            q_pos = position_ids.unsqueeze(-1)
            allowed_new = allowed_new & (q_pos - position_ids.unsqueeze(1) < window)
            slot_pos = attention_mask[:, :S].cumsum(-1) - 1  # slots fill in order, so a real slot's position
            allowed_past = allowed_past & (q_pos - slot_pos.unsqueeze(1) < window)
        bias = lambda allowed: ((~allowed).float() * MASK_VALUE).unsqueeze(1)
        return bias(allowed_past), bias(allowed_new)

    def forward(self, input_ids, position_ids, attention_mask, past=None, steer=None, replace_hook=None):
        """past: list of (k, v) cache slots per layer, or None. Returns logits, this pass's (k, v) per
        layer, and the hook residual. replace_hook: optional fn(resid) -> resid used by SAE
        evaluation to splice a reconstruction into the stream."""
        S = 0 if past is None else past[0][0].shape[2]
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq  # (B,T,Dh/2)
        cos, sin = freqs.cos().unsqueeze(1), freqs.sin().unsqueeze(1)
        x = self.embed_tokens(input_ids)
        if self.c.embed_scale:
            x = x * self.c.d_model ** 0.5
        masks = {w: self.masks(position_ids, attention_mask, S, w) for w in {self.c.window(i) for i in range(self.c.n_layer)}}
        news, hook = [], None
        for i, layer in enumerate(self.layers):
            if i == self.c.hook_layer:
                x, hook = self.hook(x, steer, replace_hook)
            pk, pv = (None, None) if past is None else past[i]
            x, k, v = layer(x, cos, sin, *masks[self.c.window(i)], pk, pv)
            news.append((k, v))
        if self.c.hook_layer == self.c.n_layer:
            x, hook = self.hook(x, steer, replace_hook)
        logits = self.lm_head(self.norm(x))
        if self.c.final_softcap:
            logits = torch.tanh(logits / self.c.final_softcap) * self.c.final_softcap
        return logits, news, hook

    @staticmethod
    def hook(x, steer, replace_hook):
        """(stream going on, hook residual): the hook residual is the model's own state, read before
        steer is added (pack format 3), so recorded features describe the model, not the injection."""
        own = x
        if steer is not None:
            x = x + steer
        if replace_hook is not None:
            x = replace_hook(x)
        return x, own


def extend(past, news):
    """The cache after a pass: each layer's slots followed by the pass's keys and values."""
    if past is None:
        return news
    return [(torch.cat([pk, k], dim=2), torch.cat([pv, v], dim=2)) for (pk, pv), (k, v) in zip(past, news)]


def positions_from_mask(mask):
    """Positions for left-padded rows: 0 at the first real token; padding gets 0."""
    return (mask.long().cumsum(-1) - 1).clamp(min=0)
