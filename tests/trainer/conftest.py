"""Trainer tests run torch single-threaded: tiny models gain nothing from threads, and on a
shared machine spinning OpenMP threads make steps a hundred times slower."""
import pytest


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
