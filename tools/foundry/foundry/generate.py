"""Batched generation with a KV cache in PyTorch: the foundry's evaluator and the benchmark reference."""
import torch

from .model import extend, positions_from_mask


@torch.no_grad()
def generate(model, tok, prompts, max_new_tokens=120, temperature=0.0, seed=0, stop="\n", steer_fn=None):
    """Left-pads the prompts, decodes until every row has produced ``stop`` or the budget ends.
    Returns the completions (without the stop string). steer_fn(step, B, T) -> steer tensor or None."""
    gen = torch.Generator().manual_seed(seed)
    rows = [tok.encode(p) for p in prompts]
    B, L = len(rows), max(len(r) for r in rows)
    ids = torch.full((B, L), tok.pad_id, dtype=torch.long)
    mask = torch.zeros((B, L), dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, L - len(r):] = torch.tensor(r)
        mask[b, L - len(r):] = 1
    pos = positions_from_mask(mask)
    past, out = None, [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    stop_id = tok.vocab[stop]
    for step in range(max_new_tokens):
        steer = steer_fn(step, B, ids.shape[1]) if steer_fn else None
        logits, news, _ = model(ids, pos, mask, past, steer)
        past = extend(past, news)
        last = logits[:, -1, :]
        if temperature > 0:
            nxt = torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=gen).squeeze(1)
        else:
            nxt = last.argmax(-1)
        for b in range(B):
            if not done[b]:
                if nxt[b].item() == stop_id:
                    done[b] = True
                else:
                    out[b].append(nxt[b].item())
        if done.all():
            break
        ids = nxt.unsqueeze(1)
        mask = torch.cat([mask, torch.ones((B, 1), dtype=torch.long)], dim=1)
        pos = pos[:, -1:] + 1
    return [tok.decode(o) for o in out]


def answer_of(completion):
    marker = "The answer is "
    i = completion.rfind(marker)
    if i < 0:
        return None
    return completion[i + len(marker):].strip().rstrip(".")


def accuracy(model, tok, prompts, answers, temperature=0.0, seed=0, batch=128):
    correct = 0
    for i in range(0, len(prompts), batch):
        outs = generate(model, tok, prompts[i:i + batch], temperature=temperature, seed=seed + i)
        correct += sum(answer_of(o) == a for o, a in zip(outs, answers[i:i + batch]))
    return correct / len(prompts)
