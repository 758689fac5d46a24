"""Greedy generation in PyTorch eager as fast as eager gets on one thread: the fair reference for the
Java generation benchmark (foundry.bench). foundry.generate.generate stays the evaluator's loop.

Differences from generate(): the KV cache is preallocated per layer as [B, Hkv, prompt + max_new, Dh]
and written in place (a pass reads a view of the filled slots, so nothing is concatenated); the
next tokens are an argmax on the batch's logits, recorded with one tensor write per step, and the
stop check is one test on the whole batch per step (no per-row ``.item()``); rows that produced the
stop token leave the batch (their cache rows are compacted away); everything runs under
``torch.inference_mode()``; prompts prefill in groups of similar length and identical prompts
once, as the Java side's OnnxGenerator.prefill does. Prefill is the model's own forward pass; a
decode step is Stepper, the same arithmetic on the model's weights with fewer eager ops (fused
projections, one attention block over the cache after the new key is written, a kept mask), or the
model's forward pass on a view of the cache for configurations Stepper does not cover. Greedy only
(the benchmark's setting).
"""
import weakref

import torch
import torch.nn.functional as F

from .model import MASK_VALUE, positions_from_mask


@torch.inference_mode()
def generate_ids(model, tok, prompts, max_new_tokens=80, stop="\n"):
    """Token ids generated per prompt, up to and excluding the stop token (at most max_new_tokens)."""
    rows = [tok.encode(p) for p in prompts]
    B, L = len(rows), max(len(r) for r in rows)
    mask = torch.zeros((B, L + max_new_tokens), dtype=torch.long)
    for b, r in enumerate(rows):
        mask[b, L - len(r):L] = 1
    c = model.c
    shape = (B, c.n_kv_head, L + max_new_tokens, c.head_dim)
    cache = [(torch.empty(shape), torch.empty(shape)) for _ in range(c.n_layer)]
    stop_id = tok.vocab[stop]
    nxt = prefill(model, tok, rows, L, cache)
    nxt_pos = torch.tensor([len(r) for r in rows])
    out = torch.empty((B, max_new_tokens), dtype=torch.long)  # by original row
    lengths = torch.full((B,), max_new_tokens, dtype=torch.long)
    alive = torch.arange(B)  # original row of each batch row
    step_fn = Stepper(model, B, L + max_new_tokens) if Stepper.covers(c) else None
    if step_fn:
        step_fn.start(mask, L)
    n, S = B, L
    for step in range(max_new_tokens):
        out[alive, step] = nxt
        fin = nxt == stop_id
        if fin.any():  # the step's one synchronisation: some row stopped
            lengths[alive[fin]] = step
            keep = (~fin).nonzero().squeeze(1)
            n = keep.numel()
            if n == 0:
                break
            alive, nxt, nxt_pos = alive[keep], nxt[keep], nxt_pos[keep]
            mask[:n] = mask[keep]
            if step_fn:
                step_fn.bias[:n] = step_fn.bias[keep]
            for ck, cv in cache:  # compact the filled slots of the rows that go on
                ck[:n, :, :S] = ck[keep, :, :S]
                cv[:n, :, :S] = cv[keep, :, :S]
        if step == max_new_tokens - 1:
            break
        mask[:n, S] = 1
        if step_fn:
            logits = step_fn(nxt, nxt_pos, cache, n, S)
        else:
            past = [(ck[:n, :, :S], cv[:n, :, :S]) for ck, cv in cache]
            logits, news, _ = model(nxt.unsqueeze(1), nxt_pos.unsqueeze(1), mask[:n, :S + 1], past)
            for (ck, cv), (k, v) in zip(cache, news):
                ck[:n, :, S:S + 1] = k
                cv[:n, :, S:S + 1] = v
            logits = logits[:, -1, :]
        S += 1
        nxt_pos = nxt_pos + 1
        nxt = logits.argmax(-1)
    return [out[b, :lengths[b]].tolist() for b in range(B)]


_fused = weakref.WeakKeyDictionary()


class Stepper:
    """One decode step (one new token per row) on the model's own weights with fewer eager ops than
    Decoder.forward: the query, key and value projections as one product and the gate and up
    projections as another (weights concatenated once), RoPE from a precomputed table, queries and
    keys rotated together, the new key and value written into the static cache first so attention is
    one score block over the filled slots, and an additive mask kept per row instead of rebuilt every
    step. The same arithmetic as Decoder.forward (the tests check the tokens); it covers the
    configurations without a sliding window, attention soft-capping or Gemma-2's sandwich norms
    (otherwise generate_ids uses Decoder.forward). No steering, no hook: the benchmark reads neither."""

    @staticmethod
    def covers(c):
        return not c.sliding_window and not c.attn_softcap and not c.sandwich_norms

    def __init__(self, model, B, slots):
        c = self.c = model.c
        self.model = model
        self.layers = _fused.get(model) or _fused.setdefault(model, self.fuse(model))
        self.norm = (model.norm.weight + model.norm.offset, model.norm.eps)
        freqs = torch.arange(c.max_seq_len + slots).float().unsqueeze(-1) * model.inv_freq
        self.cos, self.sin = freqs.cos(), freqs.sin()
        self.scale = c.query_scale or c.head_dim ** -0.5
        self.bias = torch.zeros((B, slots))  # additive mask per row: MASK_VALUE on padding slots

    @staticmethod
    def fuse(model):
        """Per layer: norm weights and the concatenated projections (copied once per model: a model
        whose weights change afterwards needs _fused.pop(model))."""
        cat = lambda ts: None if ts[0] is None else torch.cat(ts).contiguous()
        layers = []
        for blk in model.layers:
            a, m = blk.self_attn, blk.mlp
            layers.append((
                blk.input_layernorm.weight + blk.input_layernorm.offset, blk.input_layernorm.eps,
                cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]), cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias]),
                a.o_proj.weight, a.o_proj.bias,
                blk.post_attention_layernorm.weight + blk.post_attention_layernorm.offset, blk.post_attention_layernorm.eps,
                cat([m.gate_proj.weight, m.up_proj.weight]), cat([m.gate_proj.bias, m.up_proj.bias]),
                m.down_proj.weight, m.down_proj.bias, m.act))
        return layers

    def start(self, mask, L):
        self.bias[:, :L] = (mask[:, :L] == 0).float() * MASK_VALUE

    def __call__(self, ids, pos, cache, n, S):
        c = self.c
        H, Hkv, Dh = c.n_head, c.n_kv_head, c.head_dim
        rep, half = H // Hkv, Dh // 2
        x = self.model.embed_tokens(ids)  # (n, D)
        if c.embed_scale:
            x = x * c.d_model ** 0.5
        cos, sin = self.cos[pos].unsqueeze(1), self.sin[pos].unsqueeze(1)  # (n, 1, Dh/2)
        bias = self.bias[:n, :S + 1].view(n, 1, 1, S + 1)
        for (w1, e1, wqkv, bqkv, wo, bo, w2, e2, wgu, bgu, wd, bd, act), (ck, cv) in zip(self.layers, cache):
            h = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + e1) * w1
            qkv = F.linear(h, wqkv, bqkv)
            qk = qkv[:, :(H + Hkv) * Dh].view(n, H + Hkv, Dh)
            x1, x2 = qk[..., :half], qk[..., half:]
            qk = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
            ck[:n, :, S] = qk[:, H:]
            cv[:n, :, S] = qkv[:, (H + Hkv) * Dh:].view(n, Hkv, Dh)
            q = qk[:, :H].view(n, Hkv, rep, Dh)  # query heads sharing a kv head as rows (HF repeat_kv order)
            s = q @ ck[:n, :, :S + 1].transpose(-2, -1) * self.scale + bias
            y = F.softmax(s, dim=-1) @ cv[:n, :, :S + 1]  # (n, Hkv, rep, Dh)
            x = x + F.linear(y.reshape(n, H * Dh), wo, bo)
            h = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + e2) * w2
            g, u = F.linear(h, wgu, bgu).chunk(2, dim=-1)
            x = x + F.linear(act(g) * u, wd, bd)
        w, e = self.norm
        logits = self.model.lm_head(x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + e) * w)
        if c.final_softcap:
            logits = torch.tanh(logits / c.final_softcap) * c.final_softcap
        return logits


GROUP_SPREAD = 1.15  # as OnnxGenerator.GROUP_SPREAD


def prefill(model, tok, rows, L, cache):
    """Writes every row's prompt into the cache's first L slots, left-padded (padding slots zeroed),
    and returns each row's first generated token. As the Java side does (OnnxGenerator.prefill):
    identical prompts prefill once, and the distinct ones in groups whose longest prompt is within
    GROUP_SPREAD of the shortest, so little of a pass is padding."""
    distinct, of = {}, []
    for r in rows:
        of.append(distinct.setdefault(tuple(r), len(distinct)))
    uniq = list(distinct)
    order = sorted(range(len(uniq)), key=lambda u: len(uniq[u]))
    first = torch.empty(len(rows), dtype=torch.long)
    i = 0
    while i < len(order):
        j = i + 1
        while j < len(order) and len(uniq[order[j]]) <= len(uniq[order[i]]) * GROUP_SPREAD:
            j += 1
        group = order[i:j]
        at = {u: g for g, u in enumerate(group)}
        Lg = len(uniq[group[-1]])
        ids = torch.full((len(group), Lg), tok.pad_id, dtype=torch.long)
        mask = torch.zeros((len(group), Lg), dtype=torch.long)
        for g, u in enumerate(group):
            ids[g, Lg - len(uniq[u]):] = torch.tensor(uniq[u])
            mask[g, Lg - len(uniq[u]):] = 1
        logits, news, _ = model(ids, positions_from_mask(mask), mask)
        dst = torch.tensor([b for b in range(len(rows)) if of[b] in at])
        src = torch.tensor([at[of[b]] for b in range(len(rows)) if of[b] in at])
        for (ck, cv), (k, v) in zip(cache, news):
            ck[dst, :, L - Lg:L] = k[src]
            cv[dst, :, L - Lg:L] = v[src]
            if Lg < L:  # masked out, but must be finite: a masked score still multiplies its value
                ck[dst, :, :L - Lg] = 0
                cv[dst, :, :L - Lg] = 0
        first[dst] = logits[src, -1, :].argmax(-1)
        i = j
    return first


def generate(model, tok, prompts, max_new_tokens=80, stop="\n"):
    """Completions as text, like foundry.generate.generate at temperature 0."""
    return [tok.decode(o) for o in generate_ids(model, tok, prompts, max_new_tokens, stop)]
