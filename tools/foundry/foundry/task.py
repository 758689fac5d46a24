"""The bundled reasoning task: multi-step arithmetic word problems with one CoT step per operation.

A problem is a start amount and 2-4 operations (+, -, *) on one person's stock of one object.
Each problem is written in several phrasings (styles) that share a ``group_id``; the numbers,
the chain of thought and the answer are the same in every phrasing.
"""
import hashlib
import json
import random

NAMES = [("Mia", "she"), ("Leo", "he"), ("Ava", "she"), ("Sam", "he"), ("Zoe", "she"),
         ("Max", "he"), ("Ivy", "she"), ("Ben", "he"), ("Lia", "she"), ("Tom", "he")]
OBJECTS = ["apples", "coins", "books", "cards", "pens", "shells", "stamps", "eggs", "marbles", "cups"]

# One list of sentence templates per style; a phrasing uses one style throughout.
START = ["{N} has {n} {o}.", "{N} starts with {n} {o}.", "There are {n} {o} in {N}'s box."]
ADD = ["{P} buys {n} more.", "Then {p} finds {n} more {o}.", "{n} more {o} are added to the box."]
SUB = ["{P} gives away {n}.", "Then {p} loses {n} {o}.", "{n} {o} are taken out of the box."]
MUL = ["{P} gets {n} times as many.", "Then the number of {o} grows {n} times.",
       "The box now holds {n} times as many {o}."]
QUESTION = ["How many {o} does {N} have now?", "How many {o} does {N} have in the end?",
            "How many {o} are in the box now?"]
STYLES = len(START)
PROMPT_TEMPLATE = "Q: {question}\nA:"
STOP_STRINGS = ["\n"]
MAX_VALUE = 999


def _number(rng, hi=MAX_VALUE):
    digits = rng.choices([1, 2, 3], weights=[4, 5, 1])[0]
    lo = 1 if digits == 1 else 10 ** (digits - 1)
    return rng.randint(lo, min(hi, 10 ** digits - 1)) if lo <= hi else rng.randint(1, max(1, hi))


def sample_problem(rng):
    """Returns (start, [(op, n), ...]) with every intermediate value in [0, 999]."""
    value = _number(rng)
    start, ops = value, []
    for _ in range(rng.choices([2, 3, 4], weights=[5, 4, 1])[0]):
        choices = {"+": 2} if value < MAX_VALUE else {}
        if value > 0:
            choices["-"] = 2
        if 0 < value and 2 * value <= MAX_VALUE:
            choices["*"] = 1
        op = rng.choices(list(choices), weights=list(choices.values()))[0]
        if op == "+":
            n = _number(rng, MAX_VALUE - value)
            value += n
        elif op == "-":
            n = _number(rng, value)
            value -= n
        else:
            n = rng.randint(2, min(5, MAX_VALUE // value))
            value *= n
        ops.append((op, n))
    return start, ops


def solution(start, ops):
    steps, value = [], start
    for op, n in ops:
        new = value + n if op == "+" else value - n if op == "-" else value * n
        steps.append(f"{value} {op} {n} = {new}.")
        value = new
    return " ".join(steps) + f" The answer is {value}.", value


def phrase(start, ops, style, name, pronoun, obj):
    fill = dict(N=name, p=pronoun, P=pronoun.capitalize(), o=obj)
    parts = [START[style].format(n=start, **fill)]
    for op, n in ops:
        table = ADD if op == "+" else SUB if op == "-" else MUL
        parts.append(table[style].format(n=n, **fill))
    parts.append(QUESTION[style].format(**fill))
    return " ".join(parts)


def problem_key(start, ops):
    return f"{start}" + "".join(f"{op}{n}" for op, n in ops)


def make_example(rng, style=None):
    """One training example: (prompt, completion) for a random problem and phrasing."""
    start, ops = sample_problem(rng)
    name, pronoun = rng.choice(NAMES)
    q = phrase(start, ops, rng.randrange(STYLES) if style is None else style, name, pronoun, rng.choice(OBJECTS))
    cot, _ = solution(start, ops)
    return PROMPT_TEMPLATE.format(question=q), " " + cot + "\n", problem_key(start, ops)


def dataset_rows(seed, groups):
    """The saerl dataset: every group is one problem in all styles."""
    rng = random.Random(seed)
    rows, keys = [], set()
    while len(keys) < groups:
        start, ops = sample_problem(rng)
        key = problem_key(start, ops)
        if key in keys:
            continue
        keys.add(key)
        name, pronoun = rng.choice(NAMES)
        obj = rng.choice(OBJECTS)
        cot, answer = solution(start, ops)
        group = "arith-" + hashlib.sha256(key.encode()).hexdigest()[:12]
        for style in range(STYLES):
            rows.append({"id": f"{group}-p{style}", "group_id": group,
                         "question": phrase(start, ops, style, name, pronoun, obj),
                         "answer": str(answer), "solution": cot})
    return rows, keys


def split_of(group_id, seed, unknown_fraction):
    """The split rule saerl's ingest applies (see docs/datasets.md): UNKNOWN when the first
    8 bytes of SHA-256("<seed>:<group_id>") read as an unsigned fraction fall below the share."""
    h = int.from_bytes(hashlib.sha256(f"{seed}:{group_id}".encode()).digest()[:8], "big")
    return "UNKNOWN" if h / 2 ** 64 < unknown_fraction else "KNOWN"


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def main(argv=None):
    import argparse
    import random as _random
    ap = argparse.ArgumentParser(description="Write the bundled saerl dataset and, optionally, a training file.")
    ap.add_argument("--dataset", required=True, help="saerl dataset JSONL to write")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--groups", type=int, default=400)
    ap.add_argument("--train", help="also write this many training examples (prompt, completion) here")
    ap.add_argument("--train-size", type=int, default=10000)
    a = ap.parse_args(argv)
    rows, held_out = dataset_rows(a.seed, a.groups)
    write_jsonl(a.dataset, rows)
    if a.train:
        rng, out = _random.Random(a.seed + 1000), []
        while len(out) < a.train_size:
            p, c, key = make_example(rng)
            if key not in held_out:
                out.append({"prompt": p, "completion": c})
        write_jsonl(a.train, out)


if __name__ == "__main__":
    main()
