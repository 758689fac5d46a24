"""A small Llama-style decoder (RMSNorm, RoPE, SwiGLU) with a KV cache and a steering input.

The forward pass is the model pack's contract (docs/model-pack.md):
  input_ids [B,T], position_ids [B,T], attention_mask [B,P+T] (1 = real token, 0 = padding),
  past key/values per layer [B,H,P,Dh], steer [B,T,D] added to the residual stream at the hook
  layer; returns logits [B,T,V], present key/values [B,H,P+T,Dh], hook_resid [B,T,D].
``hook_layer = L`` means the residual stream entering block L (Hugging Face ``hidden_states[L]``);
``hook_resid`` is that stream after the steering vector has been added.
"""
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

    @property
    def head_dim(self):
        return self.d_model // self.n_head

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, cos, sin):
    # x (B,H,T,Dh); cos, sin (B,1,T,Dh/2): rotate the two halves (Llama / HF convention)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.q_proj = nn.Linear(c.d_model, c.n_head * c.head_dim, bias=False)
        self.k_proj = nn.Linear(c.d_model, c.n_kv_head * c.head_dim, bias=False)
        self.v_proj = nn.Linear(c.d_model, c.n_kv_head * c.head_dim, bias=False)
        self.o_proj = nn.Linear(c.n_head * c.head_dim, c.d_model, bias=False)

    def forward(self, x, cos, sin, bias, past_k, past_v):
        B, T, _ = x.shape
        c = self.c
        q = self.q_proj(x).view(B, T, c.n_head, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, c.n_kv_head, c.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, c.n_kv_head, c.head_dim).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)  # (B,Hkv,P+T,Dh)
            v = torch.cat([past_v, v], dim=2)
        present_k, present_v = k, v
        if c.n_kv_head != c.n_head:
            rep = c.n_head // c.n_kv_head
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-2, -1)) * (c.head_dim ** -0.5) + bias  # (B,H,T,P+T)
        y = F.softmax(att, dim=-1) @ v
        return self.o_proj(y.transpose(1, 2).reshape(B, T, -1)), present_k, present_v


class MLP(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.gate_proj = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.up_proj = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.down_proj = nn.Linear(c.d_ff, c.d_model, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.input_layernorm = RMSNorm(c.d_model, c.norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.d_model, c.norm_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, bias, past_k, past_v):
        a, pk, pv = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_k, past_v)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), pk, pv


class Decoder(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.d_model)
        self.layers = nn.ModuleList([Block(c) for _ in range(c.n_layer)])
        self.norm = RMSNorm(c.d_model, c.norm_eps)
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2).float() / c.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, input_ids, position_ids, attention_mask, past=None, steer=None, replace_hook=None):
        """past: list of (k, v) per layer or None. replace_hook: optional fn(resid) -> resid used
        by SAE evaluation to splice a reconstruction into the stream."""
        B, T = input_ids.shape
        P = 0 if past is None else past[0][0].shape[2]
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq  # (B,T,Dh/2)
        cos, sin = freqs.cos().unsqueeze(1), freqs.sin().unsqueeze(1)
        # query i sits at absolute index P+i; it may see key j when j <= P+i and key j is real
        q_idx = torch.arange(T, device=input_ids.device) + P
        k_idx = torch.arange(P + T, device=input_ids.device)
        allowed = (k_idx.unsqueeze(0) <= q_idx.unsqueeze(1)).unsqueeze(0) & (attention_mask.unsqueeze(1) > 0)
        x = self.embed_tokens(input_ids)
        bias = ((~allowed).to(x.dtype) * MASK_VALUE).unsqueeze(1)  # (B,1,T,P+T)
        presents, hook = [], None
        for i, layer in enumerate(self.layers):
            if i == self.c.hook_layer:
                if steer is not None:
                    x = x + steer
                if replace_hook is not None:
                    x = replace_hook(x)
                hook = x
            pk, pv = (None, None) if past is None else past[i]
            x, k, v = layer(x, cos, sin, bias, pk, pv)
            presents.append((k, v))
        return self.lm_head(self.norm(x)), presents, hook


def positions_from_mask(mask):
    """Positions for left-padded rows: 0 at the first real token; padding gets 0."""
    return (mask.long().cumsum(-1) - 1).clamp(min=0)
