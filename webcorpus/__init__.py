"""webcorpus: raw web crawls in, clean documents, tokenizer and token shards out.

The public vocabulary: documents travel as Arrow tables (see
:mod:`webcorpus.documents`); a :class:`Stage` takes a table and returns one; a
:class:`Filter` says why it drops a document; a :class:`GlobalStage` sees every
document at once; a :class:`Pipeline` runs stages over crawl files.
"""
from webcorpus.pipeline import ConfigError, Pipeline, RunResult
from webcorpus.stages.base import Filter, Stage, StageStats
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
    "Pipeline",
    "RunResult",
    "Stage",
    "StageStats",
    "build_stage",
    "document_stage",
]
