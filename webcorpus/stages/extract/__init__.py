"""HTML-to-text extraction: engines (:mod:`.engines`), the killable child process (:mod:`.sandbox`), the stage."""
from webcorpus.stages.extract.sandbox import ExtractorError
from webcorpus.stages.extract.stage import Extract

__all__ = ["Extract", "ExtractorError"]
