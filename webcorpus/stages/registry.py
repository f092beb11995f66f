"""One table from YAML stage names to stage classes, and the option checks built on it.

A stage's options are the keyword arguments of its ``__init__``: their
annotations give the type (``Annotated[T, "help"]`` adds the help text) and
their defaults the default. That single signature drives YAML validation,
``webcorpus stages`` and the Python API alike.
"""
from __future__ import annotations

import importlib
import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from webcorpus.stages.base import OptionError, OptionErrors
from webcorpus.suggest import did_you_mean

__all__ = ["STAGES", "OptionError", "OptionErrors", "build_stage", "describe_stages", "option_specs", "stage_class"]

#: YAML name -> "module:Class". Modules are imported only when a stage is used or listed.
STAGES: dict[str, str] = {
    "python": "webcorpus.stages.functions:FunctionStage",
    # text stages (add the quality filters here as they land)
    "url_filter": "webcorpus.stages.url_filter:UrlFilter",
    "extract": "webcorpus.stages.extract:Extract",
    "language": "webcorpus.stages.language:LanguageId",
    "gopher_repetition": "webcorpus.stages.quality.gopher_repetition:GopherRepetition",
    "gopher_quality": "webcorpus.stages.quality.gopher_quality:GopherQuality",
    "c4": "webcorpus.stages.quality.c4:C4Quality",
    "fineweb_quality": "webcorpus.stages.quality.fineweb:FineWebQuality",
    "hf_classifier": "webcorpus.stages.classifier.hf:HfClassifier",
    "pii": "webcorpus.stages.pii.scrub:PiiScrub",
    # global stages: each runs as a step of its own over every document
    "dedup": "webcorpus.dedup.dedup_stage:Dedup",
    "train_quality_classifier": "webcorpus.stages.classifier.train:TrainQualityClassifier",
    "quality_classifier": "webcorpus.stages.classifier.apply:QualityClassifier",
    "decontaminate": "webcorpus.decontam.stage:Decontaminate",
    "dedup_paragraphs": "webcorpus.paragraph_dedup.stage:DedupParagraphs",
    "train_tokenizer": "webcorpus.tokenizer.train:TrainTokenizer",
    "tokenize": "webcorpus.tokenizer.tokenize:Tokenize",
}


@dataclass
class OptionSpec:
    name: str
    type: Any
    default: Any
    required: bool
    help: str

    @property
    def type_name(self) -> str:
        return type_name(self.type)


def stage_class(name: str) -> type:
    try:
        target = STAGES[name]
    except KeyError:
        raise KeyError(name) from None
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def option_specs(cls: type) -> list[OptionSpec]:
    signature = inspect.signature(cls.__init__)
    hints = typing.get_type_hints(cls.__init__, include_extras=True)
    specs = []
    for param in list(signature.parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        hint = hints.get(param.name, Any)
        help_text = ""
        if typing.get_origin(hint) is typing.Annotated:
            hint, *extras = typing.get_args(hint)
            help_text = " ".join(str(e) for e in extras if isinstance(e, str))
        required = param.default is inspect.Parameter.empty
        specs.append(OptionSpec(param.name, hint, None if required else param.default, required, help_text))
    return specs


def build_stage(name: str, options: dict | None):
    """Build a stage from its YAML name and options, checking every option first.

    Raises ``KeyError`` for an unknown stage and :class:`OptionError` for an unknown, missing,
    mistyped or out-of-range option, or a value the stage itself rejects. Every problem is found
    at once: the error's ``problems`` lists one :class:`OptionError` per bad option.
    """
    cls = stage_class(name)
    options = dict(options or {})
    specs = {spec.name: spec for spec in option_specs(cls)}
    problems = [OptionError(key, f"unknown option '{key}'{did_you_mean(key, specs)}", sorted(specs))
                for key in options if key not in specs]
    for spec in specs.values():
        if spec.name not in options:
            if spec.required:
                problems.append(OptionError(spec.name, f"missing required option '{spec.name}' ({spec.type_name})"))
            continue
        problem = check_type(options[spec.name], spec.type) or range_problem(spec, options[spec.name])
        if problem:
            choices = [repr(c) for c in typing.get_args(spec.type)] if typing.get_origin(spec.type) is typing.Literal else None
            problems.append(OptionError(spec.name, f"option '{spec.name}' {problem}", choices))
    stage = _build_checked(cls, options, specs, problems)
    if problems:
        raise problems[0] if len(problems) == 1 else OptionErrors(problems)
    return stage


def _build_checked(cls: type, options: dict, specs: dict, problems: list[OptionError]):
    """The stage built from the options that passed the checks, and every value the stage itself rejects
    added to ``problems``: a stage raises at its first bad option, so each one it names is set back to its
    default and the stage built again, until it builds (None when the problems leave nothing to build).
    A complaint that names an option set back to its default is about that default, not the user's value:
    it is left out."""
    bad = {p.option for p in problems}
    if any(spec.required and spec.name in bad for spec in specs.values()):
        return None
    trial = {k: v for k, v in options.items() if k in specs and k not in bad}
    replaced = {k for k in options if k in bad}
    while True:
        try:
            return cls(**trial)
        except OptionError as error:
            found = getattr(error, "problems", [error])  # a stage may name several at once
            for exc in found:
                if isinstance(options.get(exc.option), str) and exc.choices:
                    exc.args = (f"{exc}{did_you_mean(options[exc.option], exc.choices)}",)
                if not any(re.search(rf"\b{re.escape(name)}\b", str(exc)) for name in replaced):
                    problems.append(exc)
            if any(exc.option not in trial or specs[exc.option].required for exc in found):
                return None
            for exc in found:
                del trial[exc.option]  # its default instead, to find the next problem
                replaced.add(exc.option)


def range_problem(spec: OptionSpec, value: Any) -> str | None:
    """The generic range check: a number option whose default is 0 or more (a count, a size, a ratio, a
    seed) cannot be negative. Stages check narrower ranges themselves (``OptionError`` in ``__init__``)."""
    numeric = isinstance(spec.default, (int, float)) and not isinstance(spec.default, bool)
    if numeric and spec.default >= 0 and isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return f"must be 0 or more, got {value!r}"
    return None


def check_type(value: Any, hint: Any) -> str | None:
    """None when ``value`` fits ``hint``, else a short description of the mismatch."""
    if hint is Any or hint is inspect.Parameter.empty:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return check_type(value, args[0])
    if origin in (typing.Union, types.UnionType):
        if any(check_type(value, arg) is None for arg in args):
            return None
        return f"must be {type_name(hint)}, got {_describe(value)}"
    if origin is typing.Literal:
        return None if value in args else f"must be one of {', '.join(repr(a) for a in args)}, got {value!r}"
    if hint is type(None):
        return None if value is None else f"must be null, got {_describe(value)}"
    if origin in (list, tuple, set, frozenset) or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return f"must be {type_name(hint)}, got {_describe(value)}"
        item = args[0] if args else Any
        for i, element in enumerate(value):
            problem = check_type(element, item)
            if problem:
                return f"item {i}: {problem}"
        return None
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            return f"must be {type_name(hint)}, got {_describe(value)}"
        if args:
            for key, element in value.items():
                problem = check_type(key, args[0]) or check_type(element, args[1])
                if problem:
                    return f"key {key!r}: {problem}"
        return None
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(hint, type):
        ok = isinstance(value, hint)
    else:
        ok = True
    return None if ok else f"must be {type_name(hint)}, got {_describe(value)}"


def type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if hint is type(None):
        return "null"
    if hint is Any:
        return "any"
    if origin is not None:
        inner = ", ".join(type_name(a) for a in args)
        return f"{origin.__name__}[{inner}]" if inner else origin.__name__
    return getattr(hint, "__name__", str(hint))


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if value is not None else "null"


def describe_stages() -> list[dict]:
    """Every registered stage with its options, types, defaults and help, for ``webcorpus stages``."""
    out = []
    for name in STAGES:
        cls = stage_class(name)
        doc = inspect.getdoc(cls) or ""
        out.append(
            {
                "name": name,
                "class": f"{cls.__module__}.{cls.__name__}",
                "kind": "global" if getattr(cls, "is_global", False) else "batch",
                "summary": doc.split("\n\n")[0].replace("\n", " "),
                "options": [
                    {
                        "name": s.name,
                        "type": s.type_name,
                        "default": s.default,
                        "required": s.required,
                        "help": s.help,
                    }
                    for s in option_specs(cls)
                ],
            }
        )
    return out
