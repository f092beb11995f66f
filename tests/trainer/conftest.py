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


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A small Markov token dataset in llm.c shards (trainer_shards.make_dataset)."""
    from trainer_shards import make_dataset

    return make_dataset(tmp_path_factory.mktemp("tokens"))
