"""foundry.static_generate (the generation benchmark's PyTorch reference) writes the same greedy tokens
as the evaluator's loop, foundry.generate, on the bundled pack. About 2 s on one core.
Run: cd tools/foundry && /usr/bin/python3 -m unittest discover -s tests"""
import json
import os
import unittest

import torch

from foundry import generate as naive
from foundry import static_generate
from foundry.model import Config, Decoder
from foundry.trainer import load_pack

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


class StaticGenerateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.manifest, cls.model, _, cls.tok = load_pack(os.path.join(ROOT, "models", "arith"))
        cls.model.eval()
        with open(os.path.join(ROOT, "datasets", "arith.jsonl")) as f:
            questions = [json.loads(line)["question"] for line in f.readlines()[:16]]
        cls.prompts = [cls.manifest["prompt_template"].replace("{question}", q) for q in questions]

    def check(self, prompts, max_new):
        want = naive.generate(self.model, self.tok, prompts, max_new_tokens=max_new)
        ids = static_generate.generate_ids(self.model, self.tok, prompts, max_new)
        self.assertEqual(want, [self.tok.decode(r) for r in ids])
        stop = self.tok.vocab["\n"]
        for r in ids:
            self.assertLessEqual(len(r), max_new)
            self.assertNotIn(stop, r)  # counted tokens exclude the stop token
        return ids

    def test_same_tokens_as_the_evaluator_loop(self):
        # 16 prompts of different lengths: several prefill groups, rows stopping at different steps
        ids = self.check(self.prompts, 80)
        lengths = sorted(len(r) for r in ids)
        self.assertLess(lengths[0], lengths[-1])  # rows left the batch at different steps

    def test_one_prompt(self):
        self.check(self.prompts[:1], 80)

    def test_budget_cuts_rows_and_repeated_prompts_prefill_once(self):
        prompts = [self.prompts[0], self.prompts[3], self.prompts[0], self.prompts[5], self.prompts[3]]
        ids = self.check(prompts, 12)
        self.assertEqual(ids[0], ids[2])
        self.assertTrue(any(len(r) == 12 for r in ids))

    def test_the_model_forward_on_the_cache_where_stepper_does_not_cover(self):
        covers = static_generate.Stepper.covers
        static_generate.Stepper.covers = staticmethod(lambda c: False)
        try:
            self.check(self.prompts[:6], 80)
        finally:
            static_generate.Stepper.covers = covers

    def test_grouped_query_attention_and_biases(self):
        torch.manual_seed(0)
        model = Decoder(Config(vocab_size=len(self.tok.vocab), n_head=4, n_kv_head=2, qkv_bias=True, mlp_bias=True,
                               o_bias=True)).eval()
        want = naive.generate(model, self.tok, self.prompts[:4], max_new_tokens=10)
        ids = static_generate.generate_ids(model, self.tok, self.prompts[:4], 10)
        self.assertEqual(want, [self.tok.decode(r) for r in ids])


if __name__ == "__main__":
    unittest.main()
