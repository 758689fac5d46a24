"""foundry.train.first_answer_noise (G3's random-control training, issue 14) pushes the hook residual only
at the first answer token of the chosen sequences, by at most scale times that position's own norm.
Run: cd tools/foundry && /usr/bin/python3 -m unittest discover -s tests"""
import unittest

import torch

from foundry.tokenizer import CharTokenizer
from foundry.train import batch_of, first_answer_noise


class FirstAnswerNoiseTest(unittest.TestCase):
    def test_only_the_first_answer_token_of_chosen_rows_moves_within_the_bound(self):
        tok = CharTokenizer.default()
        examples = [("Q: one\nA: ", "Careful: 1 + 2 = 3.\n"), ("Q: a longer question\nA: ", "4+5=9.\n")]
        ids, _, target_mask = batch_of(examples, tok)
        g = torch.Generator().manual_seed(3)
        x = torch.randn(ids.shape[0], ids.shape[1] - 1, 16, generator=g) * 5
        y = first_answer_noise(target_mask, 1.0, 2.0, generator=g)(x)
        moved = (y - x).norm(dim=-1) > 0
        for b, (prompt, _) in enumerate(examples):
            first = len(tok.encode(prompt))  # the position where the first answer token is fed
            self.assertEqual(moved[b].nonzero().flatten().tolist(), [first])
            self.assertLessEqual((y - x)[b, first].norm().item(), 2.0 * x[b, first].norm().item() + 1e-4)
        self.assertTrue(torch.equal(first_answer_noise(target_mask, 0.0, 2.0, generator=g)(x), x), "rate 0: untouched")


if __name__ == "__main__":
    unittest.main()
