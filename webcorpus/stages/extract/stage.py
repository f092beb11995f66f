"""The ``extract`` stage: HTML to main-content text, with a CPU-time, a memory and a size limit per document."""
from __future__ import annotations

from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc

from webcorpus.documents import HTML, TEXT, URL
from webcorpus.stages.base import Filter, OptionError, StageOutput, Verdict
from webcorpus.stages.extract.engines import BUILTIN, make_engine, title_of
from webcorpus.stages.extract.sandbox import STALL_SECONDS, ExtractorError, Sandbox
from webcorpus.stages.signals import SIZE_BINS, Signal, Threshold

TITLE = "title"
#: With no document extracted yet, this many identical failures in a row mean the extractor is broken.
FAIL_FAST_AFTER = 20


class Extract(Filter):
    """Extract the main text of each page (``text``) and its ``<title>`` (``title``).

    Engines: ``trafilatura`` (default), ``resiliparse`` (about 20x faster), ``hybrid`` (resiliparse with a
    trafilatura second opinion on pages where its result looks unreliable), ``blocks`` (a learned classifier
    of the page's text blocks; the main pipeline's), or ``module:function``.
    Dropped with a reason: ``extract:empty`` (no text), ``extract:no_html``, ``extract:too_large``,
    ``extract:timeout`` (the page cost more than ``timeout`` CPU-seconds), ``extract:stalled`` (the
    extractor used no CPU for ``stall_timeout`` seconds: blocked, not busy), ``extract:crashed`` (the
    extractor process died) and ``extract:error:<Exception>`` (``MemoryError`` past ``max_memory_mb``).
    The limits are the page's own costs, so the machine's load changes none of these decisions
    (:mod:`.sandbox`). An extractor that cannot start, raises ImportError, or fails the
    same way on every page raises :class:`ExtractorError` with the underlying traceback.
    """

    name = "extract"
    # The extractor runs in a child process beside the worker; one of them is busy at a time.
    resources = {"num_cpus": 1, "memory": 1 << 30}

    def __init__(
        self,
        engine: Annotated[str, "trafilatura | resiliparse | hybrid | blocks | module:function (html, url) -> text"] = "trafilatura",
        favor_precision: Annotated[bool, "trafilatura: less text, less noise"] = False,
        favor_recall: Annotated[bool, "trafilatura: more text, more noise"] = False,
        include_tables: Annotated[bool, "trafilatura: keep the text of tables"] = True,
        include_comments: Annotated[bool, "keep user comments below the article"] = False,
        include_links: Annotated[bool, "trafilatura: keep link targets in the text"] = False,
        fast: Annotated[bool, "trafilatura: skip its fallback extractors (faster, a little worse)"] = False,
        timeout: Annotated[float | None, "CPU seconds per document (the extractor's own, whatever the load) before it is killed and restarted; null: no limit, run in-process"] = 10.0,
        max_html_bytes: Annotated[int, "pages larger than this (UTF-8 bytes) are dropped before extraction"] = 2_000_000,
        max_memory_mb: Annotated[int | None, "address space one document may add to the extractor process (MiB); null: none"] = 4096,
        stall_timeout: Annotated[float, "wall seconds the extractor may use no CPU at all on a document before it is killed (extract:stalled)"] = STALL_SECONDS,
        keep_html: Annotated[bool, "keep the html column (default: set it to null to save memory)"] = False,
    ):
        if engine not in BUILTIN and (":" not in engine or engine.startswith(":") or engine.endswith(":")):
            raise OptionError("engine", f"engine must be one of {', '.join(BUILTIN)} or 'module:function', got {engine!r}",
                              list(BUILTIN))
        if favor_precision and favor_recall:
            raise OptionError("favor_recall", "favor_precision and favor_recall exclude each other")
        if timeout is not None and timeout <= 0:
            raise OptionError("timeout", f"timeout must be positive seconds or null, got {timeout!r}")
        if not stall_timeout > 0:
            raise OptionError("stall_timeout", f"stall_timeout must be positive seconds, got {stall_timeout!r}")
        if max_html_bytes <= 0:
            raise OptionError("max_html_bytes", f"max_html_bytes must be positive, got {max_html_bytes!r}")
        if max_memory_mb is not None and max_memory_mb < 256:
            raise OptionError("max_memory_mb", f"max_memory_mb must be at least 256 (or null), got {max_memory_mb!r}")
        self.engine = engine
        self.favor_precision, self.favor_recall = favor_precision, favor_recall
        self.include_tables, self.include_comments, self.include_links = include_tables, include_comments, include_links
        self.fast = fast
        self.timeout, self.max_html_bytes, self.max_memory_mb = timeout, max_html_bytes, max_memory_mb
        self.stall_timeout = stall_timeout
        self.keep_html = keep_html

    @property
    def requires(self) -> dict[str, str]:  # type: ignore[override]
        needs = {"trafilatura": {"trafilatura": "trafilatura"}, "resiliparse": {"resiliparse": "resiliparse"},
                 "blocks": {"resiliparse": "resiliparse", "lxml": "lxml"}}
        if self.engine == "hybrid":
            return {**needs["trafilatura"], **needs["resiliparse"]}
        return needs.get(self.engine, {})

    def engine_options(self) -> dict[str, Any]:
        if self.engine not in BUILTIN:
            return {}
        if self.engine in ("resiliparse", "blocks"):
            return {"include_comments": self.include_comments}
        return {
            "favor_precision": self.favor_precision, "favor_recall": self.favor_recall,
            "include_tables": self.include_tables, "include_comments": self.include_comments,
            "include_links": self.include_links, "fast": self.fast,
        }

    def code_identity(self) -> str | None:
        """A user engine (``module:function``) decides the text: the key of its module's source."""
        if self.engine in BUILTIN:
            return None
        from webcorpus.stages.functions import code_key

        return code_key(module_name=self.engine.partition(":")[0])

    def make_engine(self):
        """The bare extraction function, in this process (no limits): for benchmarks and debugging."""
        return make_engine(self.engine, **self.engine_options())

    def setup(self) -> None:
        self._failures: tuple[str, int] = ("", 0)
        self._successes = 0
        if self.timeout is None:
            self._engine = self.make_engine()
            self._sandbox = None
        else:
            self._sandbox = Sandbox(self.engine, self.engine_options(), self.timeout, self.max_memory_mb, self.stall_timeout)
            self._sandbox.start()

    # --- per batch ---------------------------------------------------------------------------------

    def _apply(self, batch: pa.Table) -> StageOutput:
        if batch.num_rows == 0:
            return StageOutput(batch.append_column(TITLE, pa.array([], pa.string())) if TITLE not in batch.column_names else batch)
        return super()._apply(batch)

    def verdict(self, batch: pa.Table) -> Verdict:
        """Text and title of every page, ``html`` emptied unless ``keep_html``; dropped pages keep their HTML."""
        html = batch.column(HTML)
        # Sizes from the Arrow column (UTF-8 bytes): the HTML is not turned into Python strings here.
        sizes = pc.fill_null(pc.binary_length(html), 0).to_numpy(zero_copy_only=False)
        texts: list[str | None] = [None] * batch.num_rows
        titles: list[str | None] = [None] * batch.num_rows
        reasons: list[str | None] = [None] * batch.num_rows
        todo = []
        sizes_measured = sizes[sizes > 0]
        for i, size in enumerate(sizes.tolist()):
            if size == 0:
                reasons[i] = "extract:no_html"
            elif size > self.max_html_bytes:
                reasons[i] = "extract:too_large"
                self.count("too_large")
            else:
                todo.append(i)
        if todo:
            rows = pa.array(todo, pa.int64())
            urls = batch.column(URL).take(rows) if URL in batch.column_names else pa.nulls(len(todo), pa.string())
            pages = pa.table({"html": html.take(rows).cast(pa.string()), "url": urls.cast(pa.string())})
            for i, result in zip(todo, self._extract(pages)):
                reasons[i], texts[i] = self._judge(result)
                if reasons[i] is None:
                    titles[i] = result[2]
        columns = {TEXT: pa.array(texts, pa.string()), TITLE: pa.array(titles, pa.string())}
        if not self.keep_html and HTML in batch.column_names:
            columns[HTML] = pa.nulls(batch.num_rows, pa.string())
        return Verdict(reasons, columns, dropped_as_read=True, signals={"html_bytes": sizes_measured})

    def signals(self) -> list[Signal]:
        """The size of each page's HTML against ``max_html_bytes`` (pages without HTML are not measured)."""
        return [Signal.of("html_bytes", "bytes of HTML per page (UTF-8)", SIZE_BINS,
                          Threshold("max_html_bytes", self.max_html_bytes, ">"))]

    def _extract(self, pages: pa.Table) -> list[tuple]:
        if self._sandbox is not None:
            before = self._sandbox.restarts
            results = self._sandbox.run(pages)
            if self._sandbox.restarts > before:
                self.count("restarts", self._sandbox.restarts - before)
            return results
        results = []
        for html, url in zip(pages.column("html").to_pylist(), pages.column("url").to_pylist()):
            try:
                results.append(("ok", self._engine(html, url), title_of(html)))
            except Exception as exc:
                import traceback

                results.append(("error", type(exc).__name__, traceback.format_exc()))
        return results

    def _judge(self, result: tuple) -> tuple[str | None, str | None]:
        """(drop reason, text) for one engine result; raises when the extractor itself is broken."""
        kind = result[0]
        if kind == "ok":
            self._successes += 1
            self._failures = ("", 0)
            text = (result[1] or "").strip()
            return (None, text) if text else ("extract:empty", None)
        if kind == "error" and result[1] in ("ImportError", "ModuleNotFoundError"):
            raise ExtractorError(f"extract engine '{self.engine}' cannot import what it needs:\n{result[2]}")
        reason = f"extract:{kind}" if kind in ("timeout", "stalled", "crashed") else f"extract:error:{result[1]}"
        self.count({"timeout": "timeouts", "stalled": "stalls", "crashed": "crashes"}.get(kind, "errors"))
        same = self._failures[1] + 1 if self._failures[0] == reason else 1
        self._failures = (reason, same)
        if self._successes == 0 and same >= FAIL_FAST_AFTER:
            detail = result[2] if kind == "error" else result[1] if kind == "crashed" else "(no traceback: the engine never answered)"
            raise ExtractorError(
                f"extract engine '{self.engine}': the first {same} documents all failed with {reason}; "
                f"the extractor itself looks broken:\n{detail}"
            )
        return reason, None

    def __del__(self) -> None:
        sandbox = self.__dict__.get("_sandbox")
        if sandbox is not None:
            sandbox.release()
