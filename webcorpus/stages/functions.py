"""Adapters that turn a plain per-document Python function into a stage.

    @document_stage
    def short_pages(doc):
        return None if len(doc["text"]) < 200 else doc

The function gets each document as a dict and returns the dict (changed or not)
to keep it, ``None`` to drop it (the reason is the function's name), or
``Drop("why")`` to drop it with a reason of its own. New keys become columns.
An exception raised for one document drops that document with the reason
``error:<ExceptionType>`` and is counted; the rest of the batch goes on.
"""
from __future__ import annotations

import importlib
from typing import Annotated, Any, Callable

import pyarrow as pa

from webcorpus.suggest import did_you_mean
from webcorpus.stages.base import REASON, OptionError, Stage, StageOutput


class Drop:
    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


DocumentFunction = Callable[[dict], "dict | Drop | None"]


class FunctionStage(Stage):
    """Run ``function(doc) -> doc | None | Drop`` on every document."""

    name = "python"

    def __init__(
        self,
        function: Annotated[Any, "a callable, or 'module:function' to import"],
        label: Annotated[str | None, "name used in stats and drop reasons (default: the function's name)"] = None,
        version: Annotated[str | None, "a version of the function you declare; default: the source of the function and its module decide whether a re-run redoes its work"] = None,
    ):
        if isinstance(function, str):
            try:
                function = _import_function(function)
            except ValueError as exc:
                raise OptionError("function", str(exc)) from None
        if not callable(function):
            raise OptionError("function", f"function must be callable or 'module:function', got {function!r}")
        self.function = function
        self.label = label or getattr(function, "__name__", "function")
        self.version = version

    def code_identity(self) -> str:
        """The declared ``version``, else a hash of the function's source and its module's file
        (a closure or a lambda without a source file: its pickled bytes)."""
        if self.version is not None:
            return f"version:{self.version}"
        return code_key(self.function)

    def __getstate__(self) -> dict:
        # cloudpickle carries lambdas, closures and decorated functions to worker processes.
        import cloudpickle

        state = super().__getstate__()
        state["function"] = cloudpickle.dumps(self.function)
        return state

    def __setstate__(self, state: dict) -> None:
        import pickle

        state = dict(state)
        state["function"] = pickle.loads(state["function"])
        self.__dict__.update(state)

    def _apply(self, batch: pa.Table) -> StageOutput:
        kept_rows, dropped_rows, reasons = [], [], []
        for doc in batch.to_pylist():
            try:
                result = self.function(dict(doc))
            except Exception as exc:  # one bad document must not sink the batch
                self.count(f"error:{type(exc).__name__}")
                result = Drop(f"error:{type(exc).__name__}")
            if isinstance(result, dict):
                kept_rows.append(result)
            else:
                dropped_rows.append(doc)
                reasons.append(result.reason if isinstance(result, Drop) else self.label)
        kept = _rows_to_table(kept_rows, batch.schema)
        dropped = None
        if dropped_rows:
            dropped = _rows_to_table(dropped_rows, batch.schema).append_column(REASON, pa.array(reasons, pa.string()))
        return StageOutput(kept, dropped)


def _rows_to_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    if not rows:
        return schema.empty_table()
    names = list(schema.names) + [k for k in dict.fromkeys(k for row in rows for k in row) if k not in schema.names]
    arrays = []
    for name in names:
        values = [row.get(name) for row in rows]
        if name in schema.names:
            arrays.append(pa.array(values, schema.field(name).type))
        else:
            arrays.append(pa.array(values))
    return pa.table(dict(zip(names, arrays)))


def code_key(function: Callable | None = None, module_name: str | None = None) -> str:
    """A key of user code: the function's source and its module's file (found without importing it
    when only ``module_name`` is given); a function without a source file, its pickled bytes."""
    import hashlib
    import importlib.util
    import inspect
    import sys

    sha = hashlib.sha1()
    module_name = module_name or getattr(function, "__module__", None) or ""
    module = sys.modules.get(module_name)
    module_file = getattr(module, "__file__", None)
    if module_file is None and module_name:
        try:
            spec = importlib.util.find_spec(module_name)
            module_file = spec.origin if spec is not None and spec.has_location else None
        except (ImportError, ValueError):
            module_file = None
    try:
        if function is not None:
            sha.update(inspect.getsource(function).encode())
        if module_file:
            with open(module_file, "rb") as handle:
                sha.update(handle.read())
    except (OSError, TypeError):
        import cloudpickle

        sha.update(cloudpickle.dumps(function))
    return "source:" + sha.hexdigest()[:16]


def _import_function(spec: str) -> Callable:
    """``module:function`` imported now, in the driver, so a typo stops the run before any work."""
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"expected 'module:function', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        where = "" if exc.name != module_name.split(".")[0] else " (is its folder the current directory, or on PYTHONPATH?)"
        raise ValueError(f"cannot import module {module_name!r}: {exc}{where}") from None
    except Exception as exc:  # the user's module itself fails: a syntax error, a failing import in it
        raise ValueError(f"importing module {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        names = [n for n in dir(module) if not n.startswith("_")]
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}{did_you_mean(attr, names)}") from None


def document_stage(function: DocumentFunction | None = None, *, label: str | None = None):
    """Decorator: ``@document_stage`` makes a per-document function a :class:`FunctionStage`."""
    if function is None:
        return lambda f: FunctionStage(f, label=label)
    return FunctionStage(function, label=label)
