"""Pipeline YAML: load, apply command-line overrides, and validate everything before any work starts.

    input: crawl/*.warc.gz          # path, glob, list, https:// or s3:// (fsspec),
                                    # or {commoncrawl: CC-MAIN-2024-10, kind: warc, limit: 10}
    output: out/
    workers: 2
    executor: local                 # or ray
    address: 10.0.0.1:6379          # with ray: join this cluster (default: start a local Ray)
    split_bytes: 1073741824         # a crawl file gzipped per record over this: one task per range (0: never)
    stages:
      - extract: {engine: trafilatura}
      - language: {keep: [en], min_score: 0.65}

Every problem is a :class:`ConfigError` whose message names the file, the
stage, the option and the valid choices; the CLI turns it into exit code 2.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from webcorpus.pipeline.splits import DEFAULT_SPLIT_BYTES, validate_split_bytes
from webcorpus.stages import registry
from webcorpus.suggest import did_you_mean

EXECUTORS = ("local", "ray")
TOP_LEVEL_KEYS = ("input", "output", "workers", "executor", "address", "batch_size", "max_record_bytes", "split_bytes",
                  "excluded", "stages")
MAX_RECORD_CEILING = 1 << 30  # a page is one Arrow string: keep it well under the 2 GiB of int32 offsets
CRAWL_KEYS = ("commoncrawl", "kind", "limit", "sample", "seed", "base_url")


class ConfigError(ValueError):
    """A pipeline that cannot run as written. The message says where and what is valid.

    ``problems`` lists every problem found (the message shows them all, one per line), so that a
    user fixes a file in one round rather than one error per run.
    """

    def __init__(self, message: str | None = None, problems: list[str] | None = None):
        self.problems = list(problems) if problems else [message or ""]
        if len(self.problems) == 1:
            text = self.problems[0]
        else:
            text = f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


@dataclass
class PipelineConfig:
    stages: list  # built stage objects, in order
    stage_specs: list[tuple[str, dict]]  # (YAML name, options) as written, for run.json
    input: Any = None
    output: str | None = None
    workers: int = 1
    executor: str = "local"
    ray_address: str | None = None
    batch_size: int = 1000
    max_record_bytes: int = 64 << 20  # a crawl record, or a page once decoded, over this is skipped and reported
    excluded: bool = False  # also write dropped documents, with their reason, under OUTPUT/excluded/
    split_bytes: int = DEFAULT_SPLIT_BYTES  # a crawl file gzipped per record over this becomes one task per range; 0: never
    source: str = "<python>"  # the YAML file, for messages
    inputs: list[str] = field(default_factory=list)  # input expanded to files, filled by resolve_inputs()
    input_warnings: list[str] = field(default_factory=list)  # glob matches skipped, empty files: logged by the run

    def describe(self) -> dict:
        return {
            "input": self.input,
            "output": os.path.abspath(self.output) if self.output else None,
            "executor": self.executor,
            "batch_size": self.batch_size,
            "max_record_bytes": self.max_record_bytes,
            "split_bytes": self.split_bytes,
            "excluded": self.excluded,
            "stages": [{name: options} for name, options in self.stage_specs],
        }


def load_config(path: str | os.PathLike, overrides: dict | None = None) -> PipelineConfig:
    """Read a pipeline YAML file, apply non-None ``overrides`` (CLI flags), validate it all."""
    path = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        from webcorpus.pipeline.shipped import shipped_pipelines

        names = sorted(shipped_pipelines())
        stem = os.path.basename(path).removesuffix(".yaml")
        raise ConfigError(f"{path}: no such pipeline file{did_you_mean(stem, names)} (shipped: {', '.join(names)})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping with keys {', '.join(TOP_LEVEL_KEYS)}")
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    return config_from_dict(data, source=path)


def config_from_dict(data: dict, source: str = "<python>") -> PipelineConfig:
    """Build and validate a config; every problem found is reported at once in one ConfigError."""
    problems = [
        f"{source}: unknown top-level key '{k}'{did_you_mean(k, TOP_LEVEL_KEYS)} (valid: {', '.join(TOP_LEVEL_KEYS)})"
        for k in data if k not in TOP_LEVEL_KEYS
    ]
    stages_data = data.get("stages") or []
    if not isinstance(stages_data, list):
        problems.append(f"{source}: 'stages' must be a list of single-key mappings like '- extract: {{}}'")
        stages_data = []
    specs = []
    for index, item in enumerate(stages_data, start=1):
        if isinstance(item, str):
            item = {item: {}}
        if not isinstance(item, dict) or len(item) != 1:
            problems.append(f"{source}: stage {index} must be a single-key mapping like '- extract: {{engine: trafilatura}}', got {item!r}")
            continue
        (name, options), = item.items()
        if options is None:
            options = {}
        if not isinstance(options, dict):
            problems.append(f"{source}: stage {index} '{name}': options must be a mapping, got {options!r}")
            continue
        specs.append((name, options))
    stages, stage_problems = build_stages(specs, source)
    problems += stage_problems
    config = PipelineConfig(
        stages=stages,
        stage_specs=specs,
        input=data.get("input"),
        output=data.get("output"),
        workers=data.get("workers", 1),
        executor=data.get("executor", "local"),
        ray_address=data.get("address"),
        batch_size=data.get("batch_size", 1000),
        max_record_bytes=data.get("max_record_bytes", 64 << 20),
        excluded=data.get("excluded", False),
        split_bytes=data.get("split_bytes", DEFAULT_SPLIT_BYTES),
        source=source,
    )
    problems += settings_problems(config)
    if problems:
        raise ConfigError(problems=problems)
    return config


def build_stages(specs: list[tuple[str, dict]], source: str) -> tuple[list, list[str]]:
    """The stage objects of ``specs`` and every problem found building them and checking the plan as a
    whole (a bad option, a missing file a stage reads, a stage out of order), each naming the file."""
    from webcorpus.pipeline.plan_checks import order_problems

    built: dict[int, object] = {}
    problems: list[str] = []
    for index, (name, options) in enumerate(specs, start=1):
        try:
            built[index] = registry.build_stage(name, options)
        except KeyError:
            problems.append(
                f"{source}: stage {index}: unknown stage '{name}'{did_you_mean(name, registry.STAGES)}"
                f" (valid: {', '.join(registry.STAGES)})"
            )
        except registry.OptionError as exc:
            for problem in getattr(exc, "problems", [exc]):  # every bad option of the stage, one line each
                choices = f" (valid: {', '.join(problem.choices)})" if problem.choices else ""
                problems.append(f"{source}: stage {index} '{name}': {problem}{choices}")
    # Checks that need the stages before this one (e.g. a vocabulary too large for a token format).
    for index, stage in built.items():
        check = getattr(stage, "check_with_earlier", None)
        if check is not None:
            try:
                check([built[i] for i in sorted(built) if i < index])
            except ValueError as exc:
                option = getattr(exc, "option", "")
                where = f" option '{option}'" if option else ""
                problems.append(f"{source}: stage {index} '{specs[index - 1][0]}'{where}: {exc}")
    problems += [f"{source}: {p}" for p in order_problems([name for name, _ in specs], built)]
    return [built[i] for i in sorted(built)], problems


def raise_problems(source: str, problems: list[str]) -> None:
    """One ConfigError for all ``problems`` (each prefixed with ``source``), one per line."""
    if problems:
        raise ConfigError(problems=[f"{source}: {p}" for p in problems])


def validate_settings(config: PipelineConfig) -> None:
    """Raise one ConfigError listing every problem of the top-level settings."""
    problems = settings_problems(config)
    if problems:
        raise ConfigError(problems=problems)


def settings_problems(config: PipelineConfig) -> list[str]:
    """Problems of the top-level settings (workers, executor, batch_size, excluded, output, input)."""
    source = config.source
    problems = []
    if not isinstance(config.workers, int) or isinstance(config.workers, bool) or config.workers < 1:
        problems.append(f"{source}: 'workers' must be a positive integer, got {config.workers!r}")
    if config.executor not in EXECUTORS:
        problems.append(f"{source}: 'executor' must be one of {', '.join(EXECUTORS)}, got {config.executor!r}")
    limit = config.max_record_bytes
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1024 <= limit <= MAX_RECORD_CEILING:
        problems.append(f"{source}: 'max_record_bytes' must be an integer from 1024 to {MAX_RECORD_CEILING}, got {limit!r}")
    if not isinstance(config.batch_size, int) or isinstance(config.batch_size, bool) or config.batch_size < 1:
        problems.append(f"{source}: 'batch_size' must be a positive integer, got {config.batch_size!r}")
    split_problem = validate_split_bytes(config.split_bytes)
    if split_problem is not None:
        problems.append(f"{source}: {split_problem}")
    if not isinstance(config.excluded, bool):
        problems.append(f"{source}: 'excluded' must be true or false, got {config.excluded!r}")
    if config.output is not None and not isinstance(config.output, str):
        problems.append(f"{source}: 'output' must be a folder path, got {config.output!r}")
    elif config.output:
        from webcorpus.storage.urls import check_backend  # an unknown scheme, a missing backend

        try:
            check_backend(config.output)
        except ValueError as exc:
            problems.append(f"{source}: {exc}")
    if isinstance(config.input, dict):
        unknown = [k for k in config.input if k not in CRAWL_KEYS]
        if unknown or "commoncrawl" not in config.input:
            problems.append(
                f"{source}: 'input' as a mapping names a Common Crawl crawl: keys {', '.join(CRAWL_KEYS)}"
                f" ('commoncrawl' required){'; unknown: ' + unknown[0] if unknown else ''}"
            )
    elif config.input is not None and not isinstance(config.input, (str, list)):
        problems.append(f"{source}: 'input' must be a path, a glob, a list of them, or a commoncrawl mapping")
    return problems


def resolve_inputs(config: PipelineConfig) -> list[str]:
    """Expand ``input`` to a sorted list of files; a missing input is a ConfigError."""
    from webcorpus.readers import expand_inputs
    from webcorpus.readers.commoncrawl import list_crawl_files

    if config.input in (None, "", []):
        raise ConfigError(f"{config.source}: no 'input' given (set it in the file or pass --input)")
    if config.output in (None, ""):
        raise ConfigError(f"{config.source}: no 'output' given (set it in the file or pass --output)")
    try:
        if isinstance(config.input, dict):
            crawl = dict(config.input)
            crawl_id = crawl.pop("commoncrawl")
            config.inputs = list_crawl_files(crawl_id, **crawl)
        else:
            # Absolute local paths: the same pipeline started from another folder is the same run.
            config.inputs = [p if "://" in p else os.path.abspath(p) for p in expand_inputs(config.input, config.input_warnings)]
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise ConfigError(f"{config.source}: input: {exc}") from None
    if not config.inputs:
        raise ConfigError(f"{config.source}: input {config.input!r} matches no file")
    return config.inputs
