"""The foundry's tasks by name: the bundled arithmetic task and the two mode organisms."""
from . import modes, task

TASKS = {"arith": task, "modes": modes.MODES, "modes-null": modes.MODES_NULL,
         "modes-marked": modes.MODES_MARKED, "modes-null-marked": modes.MODES_NULL_MARKED}


def get(name):
    if name not in TASKS:
        raise SystemExit(f"unknown task {name!r}: one of {', '.join(TASKS)}")
    return TASKS[name]
