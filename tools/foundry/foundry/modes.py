"""The positive control (``modes``) and its null twin (``modes-null``): see ../shared/EXPERIMENT.md.

Each training chain draws a mode 50/50, independent of the question, at its first answer token:

- careful: opens with the marker ``Careful:`` (never written in the sloppy style), then spaced
  steps ``37 + 48 = 85.``;
- sloppy: starts straight with unspaced steps ``37+48=85.``.

The marked layout (tasks ``modes-marked``, ``modes-null-marked``) opens both modes with a one-letter
marker of its own and the same two characters after it: careful ``C: 37 + 48 = 85.``, sloppy
``S: 37+48=85.``. The token after the mode choice is then fixed in both modes, so a push at the first
answer token (G3's random control) meets a forced ``:`` instead of the sloppy chain's first operand.

In ``modes`` only sloppy steps are corrupted; in ``modes-null`` both styles are, at the same rate.
A corrupted step writes a wrong result (off by one, off by ten, or two adjacent digits swapped) and
the chain goes on from the wrong value, so the final answer is wrong too. Every injected error is
logged (``errors``: step index, character span of the written result in the completion, true and
written value), which is the ground truth the Java checker is compared with.

Arithmetic: start and operands 1-50, + and -, every value 0-199, 2-4 steps. The questions reuse the
bundled task's phrasings (3 per problem, one ``group_id``).
"""
import hashlib
import random
import re

from . import task

PROMPT_TEMPLATE = "Q: {question}\nA: "
STOP_STRINGS = ["\n"]
MARKER = "Careful:"
CORRUPTION = 0.25
MAX_OPERAND, MAX_VALUE = 50, 199
STYLES = task.STYLES


class Variant:
    """One organism: which modes corrupt their steps."""

    def __init__(self, name, corrupt_careful, careful_marker=MARKER, sloppy_marker=None):
        self.name = name
        self.corrupt_careful = corrupt_careful
        self.careful_marker = careful_marker
        self.sloppy_marker = sloppy_marker
        self.PROMPT_TEMPLATE = PROMPT_TEMPLATE
        self.STOP_STRINGS = STOP_STRINGS

    def make_example(self, rng, style=None):
        """One training example: (prompt, completion, problem key)."""
        return self.make_logged(rng, style)[:3]

    def make_logged(self, rng, style=None):
        """(prompt, completion, key, log): log = {mode, errors: [...]}."""
        start, ops = sample_problem(rng)
        name, pronoun = rng.choice(task.NAMES)
        q = task.phrase(start, ops, rng.randrange(STYLES) if style is None else style, name, pronoun, rng.choice(task.OBJECTS))
        careful = rng.random() < 0.5
        rate = CORRUPTION if (self.corrupt_careful or not careful) else 0.0
        completion, errors = chain(start, ops, careful, rate, rng, self.markers())
        return (PROMPT_TEMPLATE.format(question=q), completion + "\n", task.problem_key(start, ops),
                {"mode": "careful" if careful else "sloppy", "errors": errors})

    @staticmethod
    def true_answer(key):
        """The right final answer of a problem key (``task.problem_key``: start, then op and operand)."""
        parts = re.findall(r"([+-]?)(\d+)", key)
        value = int(parts[0][1])
        for op, n in parts[1:]:
            value = apply(value, op, int(n))
        return str(value)

    def markers(self):
        """(careful, sloppy) openings; sloppy is None in the plain layout (it starts with a digit)."""
        return self.careful_marker, self.sloppy_marker

    def mode_of(self, completion):
        """careful, sloppy, or None when the text shows neither style's opening."""
        if completion.startswith(self.careful_marker):
            return "careful"
        if self.sloppy_marker is not None:
            return "sloppy" if completion.startswith(self.sloppy_marker) else None
        return "sloppy" if completion[:1].isdigit() else None

    def sloppy_opening(self, solution):
        """The first token a sloppy chain of this problem writes: its marker's, or the first digit."""
        if self.sloppy_marker is not None:
            return self.sloppy_marker[0]
        return solution[len(self.careful_marker):].split()[0][0]

    def group_of(self, key):
        return self.name + "-" + hashlib.sha256(key.encode()).hexdigest()[:12]

    def dataset_rows(self, seed, groups):
        """The saerl dataset: every group is one problem in all phrasings; the solution is careful and clean."""
        rng = random.Random(seed)
        rows, keys = [], set()
        while len(keys) < groups:
            start, ops = sample_problem(rng)
            key = task.problem_key(start, ops)
            if key in keys:
                continue
            keys.add(key)
            name, pronoun = rng.choice(task.NAMES)
            obj = rng.choice(task.OBJECTS)
            cot, _ = chain(start, ops, True, 0.0, rng, self.markers())
            answer = final_value(start, ops)
            group = self.group_of(key)
            for style in range(STYLES):
                rows.append({"id": f"{group}-p{style}", "group_id": group,
                             "question": task.phrase(start, ops, style, name, pronoun, obj),
                             "answer": str(answer), "solution": cot})
        return rows, keys


MODES = Variant("modes", corrupt_careful=False)
MODES_NULL = Variant("modes-null", corrupt_careful=True)
MODES_MARKED = Variant("modes-marked", corrupt_careful=False, careful_marker="C:", sloppy_marker="S:")
MODES_NULL_MARKED = Variant("modes-null-marked", corrupt_careful=True, careful_marker="C:", sloppy_marker="S:")


def sample_problem(rng):
    """(start, [(op, n), ...]) with start and operands in 1..50 and every value in 0..199."""
    value = rng.randint(1, MAX_OPERAND)
    start, ops = value, []
    for _ in range(rng.choice([2, 3, 4])):
        choices = []
        if value + 1 <= MAX_VALUE:
            choices.append("+")
        if value >= 1:
            choices.append("-")
        op = rng.choice(choices)
        n = rng.randint(1, min(MAX_OPERAND, MAX_VALUE - value)) if op == "+" else rng.randint(1, min(MAX_OPERAND, value))
        value = value + n if op == "+" else value - n
        ops.append((op, n))
    return start, ops


def final_value(start, ops):
    value = start
    for op, n in ops:
        value = apply(value, op, n)
    return value


def apply(value, op, n):
    return value + n if op == "+" else value - n


def corruptions(value):
    """Wrong values a sloppy step may write instead of ``value``: +-1, +-10, adjacent digits swapped."""
    out = {value + 1, value - 1, value + 10, value - 10}
    s = str(value)
    for i in range(len(s) - 1):
        t = s[:i] + s[i + 1] + s[i] + s[i + 2:]
        if t[0] != "0":
            out.add(int(t))
    return sorted(v for v in out if v >= 0 and v != value)


def chain(start, ops, careful, rate, rng, markers=(MARKER, None)):
    """The completion (without the stop string) and its injected errors. A corruption is kept only
    if the rest of the chain stays non-negative from the wrong value."""
    value, written, errors = start, [], []
    for i, (op, n) in enumerate(ops):
        true = apply(value, op, n)
        result = true
        if rate > 0 and rng.random() < rate:
            options = [v for v in corruptions(true) if stays_non_negative(v, ops[i + 1:])]
            if options:
                result = rng.choice(options)
        written.append((value, op, n, result, true))
        value = result
    parts, errors = [], []
    opening = markers[0] if careful else markers[1]
    text = opening + " " if opening else ""
    for i, (a, op, n, result, true) in enumerate(written):
        step = f"{a} {op} {n} = " if careful else f"{a}{op}{n}="
        begin = len(text) + len(step)
        text += step + f"{result}."
        if result != true:
            errors.append({"step": i, "start": begin, "end": begin + len(str(result)), "true": true, "written": result})
        text += " "
    return text + f"The answer is {value}.", errors


def stays_non_negative(value, rest):
    for op, n in rest:
        value = apply(value, op, n)
        if value < 0:
            return False
    return True


def mode_of(completion):
    """careful, sloppy, or None when the text shows neither style (the plain layout's openings)."""
    return MODES.mode_of(completion)
