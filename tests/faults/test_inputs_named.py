"""Every input that gives nothing is named: skipped glob matches and empty files warn, in run.log too."""
from __future__ import annotations

import os
import shutil

from tests.faults.helpers import documents, run_cli, write_pipeline


def test_glob_warns_about_directories_dangling_links_and_empty_files(tmp_path, shared_data):
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    shutil.copyfile(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz", crawl / "a.warc.gz")
    (crawl / "b.warc.gz").mkdir()  # a directory whose name matches
    os.symlink(crawl / "gone.warc.gz", crawl / "c.warc.gz")  # points nowhere
    (crawl / "d.warc.gz").write_bytes(b"")  # zero bytes
    output = tmp_path / "out"
    done = run_cli("run", str(write_pipeline(tmp_path / "p.yaml", [str(crawl / "*.warc.gz")], output, [])))
    assert done.returncode == 0, done.stderr
    log = (output / "logs" / "run.log").read_text()
    for text in (f"{crawl / 'b.warc.gz'} is a directory; skipped", f"{crawl / 'c.warc.gz'} is a dangling symbolic link; skipped",
                 f"input {crawl / 'd.warc.gz'} is empty (0 bytes)"):
        assert text in done.stderr and text in log
    assert documents(output)  # the good file was read
