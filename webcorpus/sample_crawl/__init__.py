"""A small synthetic web crawl, generated on the spot, so the pipeline runs with no download.

``generate_sample_crawl(directory)`` writes gzipped WARC files with a few
hundred HTML pages in seven languages and several charsets, planted
near-duplicates, exact duplicates, low-quality pages and fictional PII, plus a
``manifest.json`` with the ground truth. All text comes from the phrase
material in :mod:`webcorpus.sample_crawl.phrases`, written for this project.
See ``docs/sample.md``.
"""
from .crawl import MANIFEST, generate_sample_crawl

__all__ = ["MANIFEST", "generate_sample_crawl"]
