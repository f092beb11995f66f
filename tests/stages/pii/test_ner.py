"""PERSON and LOCATION through a named spaCy model (here a tiny rule-based pipeline saved to disk)."""
import pytest

from webcorpus.documents import from_rows
from webcorpus.stages.pii.scrub import PiiScrub


@pytest.fixture(scope="module")
def ruler_model(tmp_path_factory):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Ada Lovelace"}, {"label": "GPE", "pattern": "London"}])
    path = tmp_path_factory.mktemp("model") / "en_ruler"
    nlp.to_disk(path)
    return str(path)


def test_named_model_adds_person_and_location(ruler_model):
    stage = PiiScrub(spacy_model=ruler_model)
    assert "PERSON" in stage.entities and "LOCATION" in stage.entities
    batch = from_rows([{"id": "1", "text": "Ada Lovelace moved to London; write to ada@gmail.com."}])
    out = stage(batch).column("text")[0].as_py()
    assert out == "<PERSON> moved to <LOCATION>; write to <EMAIL_ADDRESS>."


def test_without_model_the_blank_pipeline_finds_no_names():
    stage = PiiScrub()
    assert "PERSON" not in stage.entities
    text = "Ada Lovelace moved to London."
    assert stage(from_rows([{"id": "1", "text": text}])).column("text")[0].as_py() == text
