"""PII scrubbing: presidio's recognizers, run only where a cheap screen finds candidates.

* :mod:`~webcorpus.stages.pii.screen` finds candidate spans and groups them into windows;
* :mod:`~webcorpus.stages.pii.engine` sets presidio up (blank spaCy, chosen recognizers, no network);
* :mod:`~webcorpus.stages.pii.validate` decides whether a recognizer's hit is PII in its document;
* :mod:`~webcorpus.stages.pii.replace` writes tags or stand-ins;
* :mod:`~webcorpus.stages.pii.scrub` is the ``pii`` stage that ties them together.
"""
