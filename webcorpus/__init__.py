"""webcorpus: raw web crawls in, clean documents, tokenizer and token shards out.

The public vocabulary: documents travel as Arrow tables (see
:mod:`webcorpus.documents`); a :class:`Stage` takes a table and returns one; a
:class:`Filter` says why it drops a document (its :class:`Verdict`); a
:class:`GlobalStage` sees every document at once; a stage rejects a bad option
with :class:`OptionError`; a :class:`Pipeline` runs stages over crawl files
(:class:`RunFailed` when a task failed); :func:`read_batches` reads crawl files into batches.
"""
from webcorpus.pipeline import ConfigError, Pipeline, RunFailed, RunResult
from webcorpus.readers import read_batches
from webcorpus.stages.base import Filter, OptionError, Stage, StageStats, Verdict
from webcorpus.stages.functions import Drop, FunctionStage, document_stage
from webcorpus.stages.global_stage import GlobalContext, GlobalStage
from webcorpus.stages.registry import build_stage

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Drop",
    "Filter",
    "FunctionStage",
    "GlobalContext",
    "GlobalStage",
    "OptionError",
    "Pipeline",
    "RunFailed",
    "RunResult",
    "Stage",
    "StageStats",
    "Verdict",
    "build_stage",
    "document_stage",
    "read_batches",
]
