import pytest

from .helpers import real_texts


@pytest.fixture(scope="session")
def texts(shared_data) -> list[str]:
    """Real article texts (gold texts of the extraction benchmarks), 200 words or more."""
    return real_texts()
