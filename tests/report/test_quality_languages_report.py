"""The report's drop rates per language and quality filter, from a real run's stage counters."""
from __future__ import annotations

import pyarrow as pa

from webcorpus.report.data import quality_by_language
from webcorpus.report.html import _quality_languages
from webcorpus.stages.registry import build_stage


def test_drop_rates_per_language_and_filter_from_the_filters_counters():
    prose = ("Die Stadt liegt am Ufer des Flusses und ist seit dem Mittelalter ein wichtiger Ort für den Handel. "
             "Viele Menschen kommen jedes Jahr in die Altstadt, um die alten Häuser und die Kirche zu sehen. ") * 4
    texts = [prose + f"Das Museum wurde im Jahr {1900 + i} gegründet und zeigt Bilder aus der Region." for i in range(3)]
    texts += ["Startseite\nKontakt\nImpressum", "首页\n联系我们\n关于我们"]
    table = pa.table({"id": [str(i) for i in range(5)], "text": texts, "language": ["de", "de", "de", "de", None]})
    stages = []
    for name in ("gopher_quality", "c4"):
        stage = build_stage(name, {"language": "per_document"})
        out = stage.apply(table)
        table = out.kept
        stats = stage.stats.to_dict()
        stages.append({"name": name, **stats})
    found = quality_by_language(stages)
    assert found["de"]["gopher_quality"] == {"in": 4, "dropped": 1}
    assert found["script:Hani"]["gopher_quality"] == {"in": 1, "dropped": 1}
    assert found["de"]["c4"]["in"] == 3
    html = _quality_languages({"quality_languages": found})
    assert 'id="quality-languages-table"' in html and 'data-language="script:Hani"' in html
    assert quality_by_language([{"name": "c4", "counters": {}}]) is None
