"""The quality filters' language-aware mode (option ``language``): words, stop words, sentence marks and
thresholds per language.

* :mod:`.words`: whitespace words, or script units for the scripts written without spaces;
* :mod:`.table`: the per-language table (``thresholds.json``, written by
  benchmarks/quality_language_thresholds.py from reference text) and its script defaults;
* :mod:`.aware`: the option, and the copy of a filter adapted to each document's language.
"""
