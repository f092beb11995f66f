"""A persistent child process that runs an extraction engine, and a watchdog that kills it on a hang.

Why a child process: extraction spends its time inside lxml's and resiliparse's C code, where a Python
signal handler (``signal.alarm``) only runs once the C call returns, which for a pathological page may be
never; and a page that eats all memory would take the whole worker down with it. A separate process can
be killed at any moment and started again, and its death costs one document.

Protocol (pickled frames, 8-byte length prefix, over the child's stdin/stdout):

* parent → child: ``{"sys_path", "engine", "options", "max_memory_mb", "pages_fd"}`` once, then per batch
  ``("batch", size, start)``: the batch's ``html`` and ``url`` columns are in ``pages_fd``, an in-memory file
  (``memfd``) both processes hold, as ``size`` bytes of Arrow IPC; the child maps it and extracts from row
  ``start`` on. The pages themselves never go through the pipe or through pickle: the parent copies the
  Arrow buffers once, and the child decodes each page straight from the mapping (at 150 KB of HTML per
  page, pickling them through the pipe cost about 1 ms per page, a third of resiliparse's own time);
* child → parent: ``("ready",)`` or ``("fatal", traceback)`` after start-up, then one message per
  document, in order: ``("ok", text, title)`` or ``("error", exception type, traceback)``.

The parent waits for each document's answer at most ``timeout`` seconds; on silence it kills the child,
marks that document ``timeout``, starts a fresh child and tells it to go on from the next row (the pages
are still in the shared file).
"""
from __future__ import annotations

import mmap
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import time
import traceback

import pyarrow as pa

_HEADER = struct.Struct("<Q")
STARTUP_SECONDS = 120.0


class ExtractorError(RuntimeError):
    """The extractor itself is broken (import failure, crash on start-up, same error on every page)."""


class Sandbox:
    """Parent side: owns one child process and runs batches through it with a per-document time limit."""

    def __init__(self, engine: str, options: dict, timeout: float, max_memory_mb: int | None = None):
        self.engine, self.options, self.timeout, self.max_memory_mb = engine, options, timeout, max_memory_mb
        self.restarts = 0
        self._process: subprocess.Popen | None = None
        self._stderr = None
        self._buffer = b""
        self._closed = False
        self._pages_fd: int | None = None
        self._pages_size = 0

    # --- life cycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "webcorpus.stages.extract.sandbox"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, pass_fds=(self._pages_file(),),
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        self._buffer, self._closed = b"", False
        self._send({"sys_path": sys.path, "engine": self.engine, "options": self.options,
                    "max_memory_mb": self.max_memory_mb, "pages_fd": self._pages_file()})
        message = self._receive(time.monotonic() + STARTUP_SECONDS)
        if message is None or message[0] != "ready":
            detail = message[1] if message and message[0] == "fatal" else self._stderr_text() or "no output"
            self.close()
            raise ExtractorError(f"extract engine '{self.engine}' failed to start in its child process:\n{detail}")

    def close(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                stream.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def release(self) -> None:
        """Close the child and the shared page file (the sandbox can start again afterwards)."""
        self.close()
        if self._pages_fd is not None:
            os.close(self._pages_fd)
            self._pages_fd = None

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:
            pass

    # --- work ----------------------------------------------------------------------------------------

    def run(self, pages: pa.Table) -> list[tuple]:
        """One result per row of ``pages`` (string columns ``html`` and ``url``): ``("ok", text, title)``,
        ``("error", type, traceback)``, ``("timeout",)`` or ``("crashed", why)``."""
        if pages.num_rows == 0:
            return []
        self._write_pages(pages)
        results: list[tuple] = []
        while len(results) < pages.num_rows:
            if self._process is None:
                self.start()
            try:
                self._send(("batch", self._pages_size, len(results)))
            except (BrokenPipeError, OSError):
                self._restart()
                continue
            while len(results) < pages.num_rows:
                message = self._receive(time.monotonic() + self.timeout)
                if message is None:  # silence past the time limit, or the child died
                    died = self._closed or self._process.poll() is not None  # EOF may come before the exit status
                    results.append(("crashed", self._stderr_tail()) if died else ("timeout",))
                    self._restart()
                    break
                results.append(message)
        return results

    def _write_pages(self, pages: pa.Table) -> None:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_file(sink, pages.schema) as writer:
            writer.write_table(pages)
        data = sink.getvalue()
        fd = self._pages_file()
        os.ftruncate(fd, data.size)
        view, written = memoryview(data), 0
        while written < data.size:
            written += os.pwrite(fd, view[written:], written)
        self._pages_size = data.size

    def _pages_file(self) -> int:
        if self._pages_fd is None:
            self._pages_fd = _shared_file()
        return self._pages_fd

    def _restart(self) -> None:
        self.restarts += 1
        self.close()

    # --- framing -----------------------------------------------------------------------------------

    def _send(self, obj) -> None:
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self._process.stdin.write(_HEADER.pack(len(payload)) + payload)
        self._process.stdin.flush()

    def _receive(self, deadline: float):
        """The next message, or None if the deadline passes or the child closes its end first."""
        header = self._read(_HEADER.size, deadline)
        if header is None:
            return None
        body = self._read(_HEADER.unpack(header)[0], deadline)
        return None if body is None else pickle.loads(body)

    def _read(self, n: int, deadline: float) -> bytes | None:
        fd = self._process.stdout.fileno()
        while len(self._buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, max(1 << 16, n - len(self._buffer)))
            if not chunk:
                self._closed = True
                return None
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace").strip()

    def _stderr_tail(self) -> str:
        try:
            code = self._process.wait(timeout=5) if self._process else None
        except subprocess.TimeoutExpired:
            code = None
        return f"exit code {code}; " + self._stderr_text()[-2000:]


# --- child side --------------------------------------------------------------------------------------


def _child_main() -> None:
    # Keep the protocol channel private: anything a library prints goes to stderr, not into our frames.
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel_in = sys.stdin.buffer

    def send(obj) -> None:
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        channel_out.write(_HEADER.pack(len(payload)) + payload)
        channel_out.flush()

    def receive():
        header = channel_in.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        return pickle.loads(channel_in.read(_HEADER.unpack(header)[0]))

    init = receive()
    if init is None:
        return
    sys.path[:] = init["sys_path"]
    try:
        if init["max_memory_mb"]:
            import resource

            limit = init["max_memory_mb"] * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        import logging

        logging.disable(logging.WARNING)  # trafilatura logs every short page
        from webcorpus.stages.extract.engines import make_engine

        engine = make_engine(init["engine"], **init["options"])
    except BaseException:
        send(("fatal", traceback.format_exc()))
        return
    from webcorpus.stages.extract.engines import title_of

    send(("ready",))
    pages_fd = init["pages_fd"]
    while True:
        message = receive()
        if message is None:
            return
        _, size, start = message
        mapping = mmap.mmap(pages_fd, size, prot=mmap.PROT_READ)
        table = pa.ipc.open_file(pa.py_buffer(mapping)).read_all()
        htmls, urls = table.column("html"), table.column("url")
        for i in range(start, table.num_rows):
            html, url = htmls[i].as_py(), urls[i].as_py()
            try:
                send(("ok", engine(html, url), title_of(html)))
            except Exception as exc:
                send(("error", type(exc).__name__, traceback.format_exc()))
        del table, htmls, urls  # the Arrow buffers point into the mapping


def _shared_file() -> int:
    """An in-memory file for the pages (``memfd`` on Linux; an unlinked temporary file elsewhere)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("webcorpus-extract-pages", 0)
    handle = tempfile.TemporaryFile()
    fd = os.dup(handle.fileno())
    handle.close()
    return fd


if __name__ == "__main__":
    _child_main()
