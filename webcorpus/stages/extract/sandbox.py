"""A persistent child process that runs an extraction engine, and a watchdog that kills it on a hang.

Why a child process: extraction spends its time inside lxml's and resiliparse's C code, where a Python
signal handler (``signal.alarm``) only runs once the C call returns, which for a pathological page may be
never; and a page that eats all memory would take the whole worker down with it. A separate process can
be killed at any moment and started again, and its death costs one document.

Protocol (pickled frames, 8-byte length prefix, over the child's stdin/stdout):

* parent → child: ``{"sys_path", "engine", "options", "timeout", "max_memory_mb", "pages_fd"}`` once, then per batch
  ``("batch", size, start)``: the batch's ``html`` and ``url`` columns are in ``pages_fd``, an in-memory file
  (``memfd``) both processes hold, as ``size`` bytes of Arrow IPC; the child maps it and extracts from row
  ``start`` on. The pages themselves never go through the pipe or through pickle: the parent copies the
  Arrow buffers once, and the child decodes each page straight from the mapping (at 150 KB of HTML per
  page, pickling them through the pipe cost about 1 ms per page, a third of resiliparse's own time);
* child → parent: ``("ready",)`` or ``("fatal", traceback)`` after start-up, then one message per
  document, in order: ``("ok", text, title, cpu)`` or ``("error", exception type, traceback, cpu)``, with
  ``cpu`` the CPU seconds the page cost the child.

**The limits depend on the page, not on the machine's load.** ``timeout`` is CPU time of the child (user
and system, all its threads), not wall time: a page that costs 2 CPU-seconds costs 2 whether the machine
is idle or every core is shared with ten other processes, so the same crawl keeps the same pages on a
quiet laptop and on a busy cluster node. The child enforces it itself, exactly and at no cost: before each
page it arms ``ITIMER_PROF`` (the kernel's timer of the process's CPU time) for ``timeout`` seconds, and
SIGPROF, left at its default action, ends the process wherever it is, inside C code too; the child also
measures the page's cost (``time.process_time``) and the parent drops a page that answered but cost more
than ``timeout`` (the timer's tick may let a page finish a few milliseconds over), so the rule is one:
a page is ``timeout`` when it costs more than ``timeout`` CPU-seconds. (``RLIMIT_CPU`` would do the same
in whole seconds only; the parent sampling the child's CPU time would see the crossing late, by as much
as its polling interval, and so let through pages near the limit depending on when it looked.)

A child that uses no CPU at all (blocked on a lock, a pipe or the network) is never stopped by that
timer; the parent watches the child's CPU time from the operating system while it waits and kills a
child whose CPU time has not grown for ``stall_seconds`` of wall time (``stalled``: a backstop, much
longer than any page; a child that is only starved of CPU by other processes still gets some every
second, so load does not make it fire). The parent also kills a child whose CPU time ran well past the
limit (a page that caught or blocked SIGPROF).

The memory limit is the address space one page may *add* to the child (``RLIMIT_AS`` set before each page
to what the child holds then plus ``max_memory_mb``), so a page is not refused because earlier pages left
the child large. Before it says ready, the child extracts one small built-in page (:data:`WARM_UP_PAGE`),
so the imports and caches an engine loads on its first call count against no page.

On a killed or dead child the parent marks that document, starts a fresh child and tells it to go on from
the next row (the pages are still in the shared file).
"""
from __future__ import annotations

import mmap
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback

import psutil
import pyarrow as pa

_HEADER = struct.Struct("<Q")
STARTUP_SECONDS = 120.0
#: Default wall seconds without any CPU use after which a child is ``stalled``.
STALL_SECONDS = 120.0
#: How often the parent looks at the child's CPU time while it waits for a page.
POLL_SECONDS = 0.5
#: CPU growth (seconds) that counts as the child doing something.
ALIVE_CPU_SECONDS = 0.001
#: CPU seconds past ``timeout`` after which the parent kills a child its own timer did not stop.
OVERRUN_SECONDS = 1.0
#: A small page with the parts engines look at (title, navigation, article, table, list, footer).
WARM_UP_PAGE = (
    "<html><head><title>Warm-up page</title><meta charset='utf-8'></head><body>"
    "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
    "<article><h1>A short article</h1><p>" + "This paragraph is the main content of the page, written in plain sentences. " * 8
    + "</p><p>" + "A second paragraph follows the first one and adds a few more words to it. " * 6
    + "</p><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
    "<ul><li>one item of a list</li><li>another item of the list</li></ul></article>"
    "<div class='comments'><p>A reader's comment below the article.</p></div>"
    "<footer><p>Copyright. All rights reserved. <a href='/privacy'>Privacy</a></p></footer></body></html>"
)


class ExtractorError(RuntimeError):
    """The extractor itself is broken (import failure, crash on start-up, same error on every page)."""


class Sandbox:
    """Parent side: owns one child process and runs batches through it with a per-document CPU-time limit."""

    def __init__(self, engine: str, options: dict, timeout: float, max_memory_mb: int | None = None,
                 stall_seconds: float = STALL_SECONDS):
        self.engine, self.options, self.timeout, self.max_memory_mb = engine, options, timeout, max_memory_mb
        self.stall_seconds = stall_seconds
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
        self._send({"sys_path": sys.path, "engine": self.engine, "options": self.options, "timeout": self.timeout,
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
        ``("error", type, traceback)``, ``("timeout",)`` (more than ``timeout`` CPU-seconds),
        ``("stalled",)`` (no CPU used for ``stall_seconds``) or ``("crashed", why)``."""
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
                watch = _Watch(self._process.pid, self.timeout, self.stall_seconds)
                message = self._receive(watch=watch)
                if message is None:  # the child died, stalled or overran: mark the page, start another child
                    results.append(self._why_stopped(watch.verdict))
                    self._restart()
                    break
                *answer, cpu = message
                results.append(("timeout",) if cpu > self.timeout else tuple(answer))
        return results

    def _why_stopped(self, verdict: str | None) -> tuple:
        if verdict is not None:
            return (verdict,)
        code = self._exit_code()
        if code == -signal.SIGPROF:  # the child's CPU timer ended it
            return ("timeout",)
        return ("crashed", f"exit code {code}; " + self._stderr_text()[-2000:])

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

    def _receive(self, deadline: float | None = None, watch: "_Watch | None" = None):
        """The next message, or None if the child closes its end first, the wall-clock ``deadline``
        passes, or ``watch`` gives a verdict."""
        header = self._read(_HEADER.size, deadline, watch)
        if header is None:
            return None
        body = self._read(_HEADER.unpack(header)[0], deadline, watch)
        return None if body is None else pickle.loads(body)

    def _read(self, n: int, deadline: float | None, watch: "_Watch | None") -> bytes | None:
        fd = self._process.stdout.fileno()
        while len(self._buffer) < n:
            wait = POLL_SECONDS if deadline is None else min(POLL_SECONDS, deadline - time.monotonic())
            if wait <= 0:
                return None
            if not select.select([fd], [], [], wait)[0]:
                if watch is not None and watch.judge() is not None:
                    return None
                continue
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

    def _exit_code(self) -> int | None:
        try:
            return self._process.wait(timeout=5) if self._process else None
        except subprocess.TimeoutExpired:
            return None


class _Watch:
    """The parent's view of the child while it waits for one page: the child's CPU time as the operating
    system counts it (user and system, all threads), and when it last grew. Nothing is read until the
    page has taken ``POLL_SECONDS`` of wall time: a quick page costs the parent no system call."""

    def __init__(self, pid: int, timeout: float, stall_seconds: float):
        self.pid, self.timeout, self.stall_seconds = pid, timeout, stall_seconds
        self.start: float | None = None
        self.last = 0.0
        self.last_growth = time.monotonic()
        self.verdict: str | None = None

    def _cpu(self) -> float | None:
        try:
            times = psutil.Process(self.pid).cpu_times()
        except psutil.Error:  # gone: the end of its output tells
            return None
        return times.user + times.system

    def judge(self) -> str | None:
        """``"stalled"``, ``"timeout"`` (the child's own timer did not stop it) or None (wait on)."""
        cpu = self._cpu()
        if cpu is None:
            return None
        now = time.monotonic()
        if self.start is None:
            self.start = self.last = cpu
        elif cpu - self.start > self.timeout + OVERRUN_SECONDS:
            self.verdict = "timeout"
        elif cpu - self.last >= ALIVE_CPU_SECONDS:
            self.last, self.last_growth = cpu, now
        elif now - self.last_growth > self.stall_seconds:
            self.verdict = "stalled"
        return self.verdict


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
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # the CPU timer ends the process, wherever it is
    timeout, memory = init["timeout"], _PageMemory(init["max_memory_mb"])
    try:
        import logging

        logging.disable(logging.WARNING)  # trafilatura logs every short page
        from webcorpus.stages.extract.engines import make_engine, title_of

        engine = make_engine(init["engine"], **init["options"])
        signal.setitimer(signal.ITIMER_PROF, timeout)
        try:
            engine(WARM_UP_PAGE, "https://example.com/warm-up")
        except Exception:  # the engine's errors belong to the pages: its first page reports them
            pass
        signal.setitimer(signal.ITIMER_PROF, 0)
    except BaseException:
        send(("fatal", traceback.format_exc()))
        return

    def extract(html: str, url: str | None) -> tuple:
        memory.limit_page()
        start = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, timeout)
        try:
            result = ("ok", engine(html, url), title_of(html))
        except Exception as exc:
            result = ("error", type(exc).__name__, traceback.format_exc())
        signal.setitimer(signal.ITIMER_PROF, 0)
        cost = time.process_time() - start
        memory.lift()  # between pages (mapping the next batch) no page's allowance applies
        return (*result, cost)

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
            send(extract(htmls[i].as_py(), urls[i].as_py()))
        del table, htmls, urls  # the Arrow buffers point into the mapping


class _PageMemory:
    """``RLIMIT_AS`` per page: the address space the child holds when the page begins plus the page's
    allowance, so the limit is the memory one page may add (Linux: from ``/proc/self/statm``, kept open
    and re-read with ``pread``, about 1 µs; elsewhere a fixed limit from start-up)."""

    def __init__(self, max_memory_mb: int | None):
        import resource

        self.resource, self.allowance = resource, (max_memory_mb or 0) * 1024 * 1024
        self.page_size = os.sysconf("SC_PAGE_SIZE")
        self.hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        self.statm = os.open("/proc/self/statm", os.O_RDONLY) if self.allowance and os.path.exists("/proc/self/statm") else None
        if self.allowance and self.statm is None:
            self._set(self.allowance)

    def limit_page(self) -> None:
        if self.statm is not None:
            held = int(os.pread(self.statm, 128, 0).split()[0]) * self.page_size
            self._set(held + self.allowance)

    def lift(self) -> None:
        if self.statm is not None:
            self._set(self.hard)

    def _set(self, limit: int) -> None:
        self.resource.setrlimit(self.resource.RLIMIT_AS, (limit, self.hard))


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
