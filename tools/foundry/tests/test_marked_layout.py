"""The marked layout of the mode organisms (foundry.modes, tasks modes-marked and modes-null-marked):
both modes open with their own marker and the same two characters after it, the plain layout is
unchanged, the problems are the same, and every logged error span holds the written wrong value.
Run: cd tools/foundry && /usr/bin/python3 -m unittest discover -s tests"""
import random
import unittest

from foundry import modes, tasks


class MarkedLayoutTest(unittest.TestCase):
    def test_both_modes_open_with_their_marker_and_the_same_two_characters_after_it(self):
        rng, seen = random.Random(5), set()
        for _ in range(200):
            _, completion, _, log = tasks.get("modes-marked").make_logged(rng)
            opening = "C: " if log["mode"] == "careful" else "S: "
            self.assertTrue(completion.startswith(opening), completion)
            self.assertEqual(log["mode"], modes.MODES_MARKED.mode_of(completion))
            seen.add(log["mode"])
            for e in log["errors"]:
                self.assertEqual(str(e["written"]), completion[e["start"]:e["end"]])
                self.assertEqual("sloppy", log["mode"], "only sloppy chains are corrupted in modes")
        self.assertEqual({"careful", "sloppy"}, seen)

    def test_the_plain_layout_and_the_problems_are_unchanged(self):
        plain, _ = modes.MODES.dataset_rows(7, 400)
        marked, _ = modes.MODES_MARKED.dataset_rows(7, 400)
        self.assertTrue(plain[0]["solution"].startswith("Careful: "))
        self.assertTrue(marked[0]["solution"].startswith("C: "))
        self.assertEqual([r["question"] for r in plain], [r["question"] for r in marked])
        self.assertEqual([r["answer"] for r in plain], [r["answer"] for r in marked])
        self.assertEqual("S", modes.MODES_MARKED.sloppy_opening(marked[0]["solution"]))
        self.assertTrue(modes.MODES.sloppy_opening(plain[0]["solution"]).isdigit())
        self.assertEqual("sloppy", modes.mode_of("37+48=85."))
        self.assertIsNone(modes.MODES_MARKED.mode_of("37+48=85."), "the marked layout's sloppy chains open with S:")


if __name__ == "__main__":
    unittest.main()
