"""No network at any point: presidio's email check uses tldextract's bundled suffix list."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Runs in a fresh interpreter whose sockets refuse to connect and resolve, and records every attempt.
SCRIPT = r"""
import json, socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("network disabled by the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from webcorpus.documents import from_rows
from webcorpus.stages.pii.scrub import PiiScrub

stage = PiiScrub()
batch = from_rows([{"id": "1", "text": "Mail maria.gonzalez84@gmail.com or ana@uni-heidelberg.de; host 84.17.46.2."}])
text = stage(batch).column("text")[0].as_py()
print(json.dumps({"text": text, "attempts": attempts}))
"""


def test_scrub_runs_with_network_unavailable(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),  # an empty home: no cached suffix list to hide a download
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["text"] == "Mail <EMAIL_ADDRESS> or <EMAIL_ADDRESS>; host <IP_ADDRESS>."
    assert not (tmp_path / "cache").exists()


def test_extractor_has_no_download_source():
    from webcorpus.stages.pii.engine import offline_extractor

    extractor = offline_extractor()
    assert extractor.suffix_list_urls == ()
    assert extractor("someone@mail.uni-heidelberg.de").fqdn == "mail.uni-heidelberg.de"
