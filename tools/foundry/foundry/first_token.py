"""What the residual at the first answer token of a mode organism is made of (issue 14's G3 analysis).

  /usr/bin/python3 -m foundry.first_token --pack ../../models/modes --dataset ../../datasets/modes.jsonl

Per problem (one phrasing each), the hook residual where the forced first answer token is fed: `C`
(careful) and the first digit of the solution's first number (sloppy). Prints their norms, the norm
of the oracle (careful minus sloppy mean), and the share of the sloppy residuals' variance that lies
between the digits written, i.e. how much of that position is the token's identity.
"""
import argparse
import json

import torch

from .model import Decoder
from .oracle_layers import forced_residuals
from .tokenizer import CharTokenizer
from .train import pack_weights


@torch.no_grad()
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pack", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--problems", type=int, default=120)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    cfg, state = pack_weights(a.pack)
    model = Decoder(cfg)
    model.load_state_dict(state)
    model.eval()
    tok = CharTokenizer.default()
    rows = [json.loads(l) for l in open(a.dataset)][::3][:a.problems]
    c, s, digits = forced_residuals(model, tok, rows)
    oracle = c.mean(0) - s.mean(0)
    groups = {}
    for d, v in zip(digits, s):
        groups.setdefault(d, []).append(v)
    within = sum(((torch.stack(v) - torch.stack(v).mean(0)) ** 2).sum() for v in groups.values())
    total = ((s - s.mean(0)) ** 2).sum()
    print(json.dumps({"problems": len(rows), "careful_residual_norm": round(c.norm(dim=1).mean().item(), 1),
                      "sloppy_residual_norm": round(s.norm(dim=1).mean().item(), 1),
                      "oracle_norm": round(oracle.norm().item(), 1),
                      "sloppy_variance_between_first_digits": round((1 - within / total).item(), 3)}))


if __name__ == "__main__":
    main()
