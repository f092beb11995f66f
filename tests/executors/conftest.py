"""A real Ray cluster for the executor tests, reached by address as a user with a cluster would.

CI starts one with `ray start --head` in a home folder of its own and exports WEBCORPUS_RAY_ADDRESS (and
RAY_AUTH_TOKEN_PATH, the token of that home). Without it the fixture starts a head itself, the same way:
in a home folder of its own holding `.ray/auth_token` — what a local Ray run leaves — so Ray 2.60 requires
tokens on it, as it does on a machine where Ray ran before; the tests' driver is given that token through
RAY_AUTH_TOKEN_PATH, which Ray reads before `~/.ray/auth_token`. The head is stopped at the end, by its
process group only.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.executors.ray_nodes import USER_RAY_VARIABLES, ray_env, ray_home, start_head, stop_node, token_of

# Keep the test cluster on 127.0.0.1 (Ray otherwise advertises the host's network address).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


@pytest.fixture(scope="session")
def ray_address():
    pytest.importorskip("ray", reason="the ray extra is not installed")
    address = os.environ.get("WEBCORPUS_RAY_ADDRESS")
    if address:
        yield address
        return
    saved = {name: os.environ.pop(name, None) for name in USER_RAY_VARIABLES}
    # Ray's socket paths must stay under 107 bytes: a short folder rather than pytest's tmp_path.
    short = Path(tempfile.mkdtemp(prefix="wc-ray-"))
    home = ray_home(short / "home")
    try:
        address, head = start_head(short / "head", ray_env(home))
        os.environ["RAY_AUTH_TOKEN_PATH"] = str(token_of(home))
        try:
            yield address
        finally:
            import ray

            if ray.is_initialized():
                ray.shutdown()
            stop_node(head)
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
        shutil.rmtree(short, ignore_errors=True)
