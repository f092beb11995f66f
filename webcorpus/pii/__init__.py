"""PII scrubbing: presidio's recognizers, run only where a cheap screen finds candidates.

* :mod:`~webcorpus.pii.screen` finds candidate spans and groups them into windows;
* :mod:`~webcorpus.pii.engine` sets presidio up (blank spaCy, chosen recognizers, no network);
* :mod:`~webcorpus.pii.validate` decides whether a recognizer's hit is PII in its document;
* :mod:`~webcorpus.pii.replace` writes tags or stand-ins;
* :mod:`~webcorpus.pii.stage` is the ``pii`` stage that ties them together.
"""
