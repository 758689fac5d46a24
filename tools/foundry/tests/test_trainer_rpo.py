"""RPO is DPO plus alpha times the chosen completions' per-token NLL. With the policy equal to its
reference, the DPO term is exactly log 2 whatever the pairs; the NLL term is checked against each
chosen completion scored on its own, position by position, so a missing, unnormalised or
misweighted term fails.
Run: cd tools/foundry && /usr/bin/python3 -m unittest discover -s tests"""
import copy
import math
import os
import unittest

import torch

from foundry.model import Config, Decoder
from foundry.tokenizer import CharTokenizer
from foundry.trainer import preference_loss

TOKENIZER = os.path.join(os.path.dirname(__file__), "..", "..", "..", "models", "modes", "tokenizer.json")


class RpoLossTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(5)
        self.tok = CharTokenizer.load(TOKENIZER)
        self.model = Decoder(Config(vocab_size=len(self.tok.vocab), d_model=32, n_layer=2, n_head=2, n_kv_head=2,
                                    d_ff=64, hook_layer=1)).eval()
        self.reference = copy.deepcopy(self.model)
        self.chosen = [("Q: 3 + 4 = ?\nA: ", "Careful: 3 + 4 = 7. #### 7\n"), ("Q: 9 - 2 = ?\nA: ", "Careful: 9 - 2 = 7. #### 7\n")]
        self.rejected = [("Q: 3 + 4 = ?\nA: ", "3+4=8. #### 8\n"), ("Q: 9 - 2 = ?\nA: ", "9-2=6. #### 6\n")]

    def nll_per_token(self, prompt, completion):
        p, c = self.tok.encode(prompt), self.tok.encode(completion, bos=False)
        ids = torch.tensor([p + c])
        logits, _, _ = self.model(ids[:, :-1], torch.arange(ids.shape[1] - 1).unsqueeze(0), torch.ones_like(ids[:, :-1]))
        logp = torch.log_softmax(logits[0], -1)
        return -sum(logp[len(p) - 1 + i, t].item() for i, t in enumerate(c)) / len(c)

    def test_dpo_at_the_reference_is_log_two(self):
        with torch.no_grad():
            loss = preference_loss(self.model, self.reference, self.tok, self.chosen, self.rejected, 0.1, 0.0)
        self.assertAlmostEqual(loss.item(), math.log(2), places=5)

    def test_rpo_adds_alpha_times_the_chosen_per_token_nll(self):
        expected = sum(self.nll_per_token(p, c) for p, c in self.chosen) / len(self.chosen)
        with torch.no_grad():
            loss = preference_loss(self.model, self.reference, self.tok, self.chosen, self.rejected, 0.1, 0.5)
        self.assertAlmostEqual(loss.item(), math.log(2) + 0.5 * expected, places=4)


if __name__ == "__main__":
    unittest.main()
