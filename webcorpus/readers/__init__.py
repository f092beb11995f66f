"""Readers: crawl files (WARC, WET, ARC) and text files (Parquet, JSON lines) to document batches.

* :func:`read_documents` reads one file (local path or fsspec URL) into Arrow batches of
  :data:`webcorpus.documents.BASE_SCHEMA`, counting what it saw on a :class:`ReadReport`.
* :func:`read_batches` reads paths, globs or URLs into batches, without a report: the public
  way to get a batch to try stages on (``Pipeline.process``).
* :func:`expand_inputs` turns paths, globs and URLs into the list of files to read.
* :func:`list_crawl_files` lists a Common Crawl crawl's WARC/WET/WAT files.

See ``docs/readers.md`` for formats, what is kept, the charset order and error handling.
"""
from .commoncrawl import list_crawl_files
from .inputs import expand_inputs
from .read import read_batches, read_documents
from .report import ReadReport

__all__ = ["ReadReport", "expand_inputs", "list_crawl_files", "read_batches", "read_documents"]
