"""Run a pipeline of given stages in this process while the package may import only what they require.

``python -m tests.stages.only_required STAGES_JSON INPUT OUTPUT``: STAGES_JSON is a list of
``[name, options]``. An import statement in webcorpus's own code of a module outside the standard
library, the package, :data:`CORE` and the stages' ``requires`` raises ModuleNotFoundError (imports
made by third-party code are left alone: a package brings what it needs). Exit 0 when the run finished.
"""
from __future__ import annotations

import ast
import json
import linecache
import os
import re
import sys

#: What the runner itself needs for any pipeline (base dependencies no stage declares).
CORE = {"pyarrow", "numpy", "yaml", "click", "fsspec", "tqdm", "psutil", "cloudpickle", "brotli", "isal",
        "charset_normalizer"}


class OnlyRequired:
    """A meta-path finder that refuses, to webcorpus's code only, the modules not allowed."""

    def __init__(self, allowed: set[str]):
        self.allowed = allowed
        self.refused: list[str] = []

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top in ("webcorpus", "tests") or top in self.allowed:
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back
        if frame is not None and frame.f_globals.get("__name__", "").startswith("webcorpus") and top in statement_modules(frame):
            self.refused.append(f"{name} (imported by {frame.f_globals['__name__']})")
            raise ModuleNotFoundError(f"{name} is not among the stage's requires (imported by {frame.f_globals['__name__']})", name=name)
        return None


def statement_modules(frame) -> set[str]:
    """The top-level modules the statement running in ``frame`` names in an import (empty when it is no
    import: a C extension's probe for an optional module, e.g. pyarrow's for pandas, shows the webcorpus
    line that called into it, and ``import lxml.etree`` is not an import of what lxml.etree tries)."""
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    try:
        tree = ast.parse(line)
    except SyntaxError:  # an import spread over lines: its first line names the module
        first = re.match(r"(?:from|import)\s+([\w.]+)", line)
        return {first.group(1).partition(".")[0]} if first else set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def main(stages_json: str, input_path: str, output: str) -> int:
    from webcorpus import Pipeline, build_stage

    stages = [build_stage(name, options) for name, options in json.loads(stages_json)]
    allowed = CORE | {module.partition(".")[0] for stage in stages for module in stage.requires}
    allowed -= set(os.environ.get("WEBCORPUS_TEST_REFUSE", "").split(","))  # a control: refuse a required one
    finder = OnlyRequired(allowed)
    sys.meta_path.insert(0, finder)
    result = Pipeline(stages, input=[input_path], output=output, workers=1).run(quiet=True)
    print(json.dumps({"exit_code": result.exit_code, "refused": finder.refused}))
    return 0 if result.exit_code == 0 and not finder.refused else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
