"""The trainer writes a shard's completion after its prompt exactly as the foundry trained the
pack on it: the mode organisms' prompt ends in "A: " and their completions start with the text,
arith's ends in "A:" and its completions start with a space. A doubled or missing space would
train every SFT and DPO row on a layout the model never writes.
Run: cd tools/foundry && /usr/bin/python3 -m unittest discover -s tests"""
import random
import unittest

from foundry import tasks
from foundry.trainer import continuation


class ContinuationTest(unittest.TestCase):
    def test_a_generated_completion_is_trained_as_the_foundry_wrote_it(self):
        for name in ["arith", "modes", "modes-marked"]:
            rng = random.Random(3)
            for _ in range(50):
                prompt, completion, _ = tasks.get(name).make_example(rng)[:3]
                written = completion.rstrip("\n")
                for generated in [written, written.lstrip()]:  # with or without the leading space a generator kept
                    self.assertEqual(prompt + completion, prompt + continuation(prompt, generated, "\n"), name)


if __name__ == "__main__":
    unittest.main()
