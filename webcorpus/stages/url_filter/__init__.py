"""The ``url_filter`` stage (:mod:`.stage`) and the compiled blocklist index it looks entries up in (:mod:`.index`)."""
from webcorpus.stages.url_filter.blocklist_filter import UrlFilter

__all__ = ["UrlFilter"]
