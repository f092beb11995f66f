"""Render the planned pages, write them as a small crawl, and describe it in ``manifest.json``."""
from __future__ import annotations

import io
import itertools
import json
import random
import struct
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

from .phrases import PHRASEBOOKS
from .plan import LOW_QUALITY_KINDS, Page, Planner
from .templates import PageContent, render_page
from .warc import Fetch, SampleWarcWriter, warc_date

CRAWL_START = datetime(2024, 3, 11, 6, 0, 0, tzinfo=timezone.utc)
REVISIT_DATE = datetime(2024, 4, 15, 9, 30, 0, tzinfo=timezone.utc)
_SERVERS = ("nginx", "Apache", "openresty", "cloudflare")
MANIFEST = "manifest.json"


def write_if_changed(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` unless it already holds exactly these bytes: a file written again keeps its
    modification time, so a run over the crawl (`make demo` twice) sees the same inputs and resumes."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _png(width: int = 16, height: int = 16) -> bytes:
    """A small valid PNG (a colour gradient), built by hand so it needs no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 16, y * 16, 128)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _render(pages: list[Page], rng: random.Random) -> dict[str, bytes]:
    by_host: dict[str, list[Page]] = {}
    for page in pages:
        by_host.setdefault(page.site.host, []).append(page)
    bodies: dict[str, bytes] = {}
    for page in pages:
        if page.kind == "exact_duplicate":
            continue
        book = PHRASEBOOKS[page.language]
        neighbours = [p for p in by_host[page.site.host] if p.url != page.url and p.kind != "exact_duplicate"]
        sidebar = [(p.title, p.url) for p in rng.sample(neighbours, min(6, len(neighbours)))]
        content = PageContent(title=page.title, paragraphs=[book.sentence_joiner.join(s) for s in page.sentences],
                              author=page.author, published=page.published, links=page.links, note=page.note)
        meta = page.charset if "meta" in page.declared_in else None
        html = render_page(book, page.site, content, layout=page.layout, url=page.url, meta_charset=meta,
                           sidebar=sidebar)
        bodies[page.url] = html.encode(page.charset)  # strict: the phrasebooks fit their legacy charsets
    for page in pages:
        if page.kind == "exact_duplicate":
            bodies[page.url] = bodies[page.copy_of]
    return bodies


def _fetch(page: Page, body: bytes, moment: datetime) -> Fetch:
    content_type = f"text/html; charset={page.charset}" if "header" in page.declared_in else "text/html"
    server = _SERVERS[sum(page.site.host.encode()) % len(_SERVERS)]
    headers = [("Server", server), ("Cache-Control", "max-age=600"), ("Vary", "Accept-Encoding")]
    if page.published:
        published = datetime.fromisoformat(page.published).replace(hour=8, tzinfo=timezone.utc)
        headers.append(("Last-Modified", format_datetime(published, usegmt=True)))
    return Fetch(page.url, moment, 200, content_type, body, headers, accept_language=page.language)


def generate_sample_crawl(directory, seed: int = 0, pages: int = 300) -> list[str]:
    """Write a small synthetic web crawl and its ground truth into ``directory``.

    Produces ``sample-00000.warc.gz`` (and ``sample-00001.warc.gz`` from 100
    pages on) holding ``pages`` HTML pages with status 200, plus a robots.txt,
    a PNG, a 404, a 301 and a revisit record, and ``manifest.json`` describing
    what was planted: pages per language, duplicate clusters, low-quality pages,
    PII values per URL and the charset of every page. The same ``seed`` and
    ``pages`` give byte-identical files. Returns the WARC paths.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    plan = Planner(pages, rng).plan()
    bodies = _render(plan, rng)
    order = list(plan)
    rng.shuffle(order)
    n_files = 2 if pages >= 100 else 1
    chunks = [order[i * len(order) // n_files:(i + 1) * len(order) // n_files] for i in range(n_files)]

    english = next(p for p in plan if p.language == "en" and p.kind == "article")
    host = english.site.host
    extras_first = {0: Fetch(f"https://{host}/robots.txt", CRAWL_START, 200, "text/plain",
                             f"User-agent: *\nDisallow: /search\nDisallow: /newsletter\n\n"
                             f"Sitemap: https://{host}/sitemap.xml\n".encode()),
                    5: Fetch(f"https://{host}/static/logo.png", CRAWL_START, 200, "image/png", _png()),
                    11: Fetch(f"https://{host}/news/2023/11/page-that-was-removed.html", CRAWL_START, 404,
                              "text/html; charset=utf-8",
                              b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>"
                              b"<h1>Not Found</h1><p>The requested page does not exist.</p></body></html>\n")}
    redirect_from = english.url.replace("https://", "http://", 1)
    extras_last = {3: Fetch(redirect_from, CRAWL_START, 301, "text/html; charset=utf-8",
                            f'<html><body><a href="{english.url}">Moved here</a></body></html>\n'.encode(),
                            [("Location", english.url)])}

    counter, moment = itertools.count(), CRAWL_START
    paths, manifest_pages, files_info, file_of = [], [], {}, {}
    digests: dict[str, tuple[str, datetime]] = {}
    other = {}
    for index, chunk in enumerate(chunks):
        name = f"sample-{index:05d}.warc.gz"
        path = out / name
        with io.BytesIO() as stream:
            writer = SampleWarcWriter(stream, name, seed, counter)
            # "webcorpus.sample": the generator's published name, kept so the crawl stays byte for byte the same
            writer.warcinfo(moment, {"software": "webcorpus.sample", "format": "WARC File Format 1.0",
                                     "isPartOf": f"webcorpus-sample-seed-{seed}", "robots": "obey",
                                     "description": "Synthetic crawl generated for tests and demos; all text is original and all contact data fictional."})
            extras = {**(extras_first if index == 0 else {}), **(extras_last if index == n_files - 1 else {})}
            for position, page in enumerate(chunk):
                if position in extras:
                    moment += timedelta(seconds=rng.randint(2, 40))
                    fetch = extras[position]
                    fetch.moment = moment
                    writer.exchange(fetch)
                    other[{200: "robots" if fetch.url.endswith(".txt") else "image", 404: "not_found",
                           301: "redirect"}[fetch.status]] = fetch.url
                moment += timedelta(seconds=rng.randint(2, 40))
                record_id, digest = writer.exchange(_fetch(page, bodies[page.url], moment))
                digests[page.url] = (digest, moment)
                file_of[page.url] = name
                if position == 0:
                    writer.metadata(page.url, moment, record_id, {"fetchTimeMs": str(rng.randint(80, 900))})
            if index == n_files - 1:
                revisited = next(p for p in chunks[0] if p.kind == "article")
                digest, first_moment = digests[revisited.url]
                writer.revisit(_fetch(revisited, bodies[revisited.url], REVISIT_DATE), digest, first_moment)
                other["revisit"] = {"url": revisited.url, "refers_to_date": warc_date(first_moment)}
            write_if_changed(path, stream.getvalue())
        files_info[name] = {"records": dict(sorted(writer.counts.items()))}
        paths.append(str(path))

    other["redirect"] = {"url": redirect_from, "location": english.url}
    _write_manifest(out, seed, pages, plan, bodies, file_of, files_info, other)
    return paths


def _write_manifest(out: Path, seed: int, n_pages: int, plan: list[Page], bodies: dict[str, bytes],
                    file_of: dict[str, str], files_info: dict, other: dict) -> None:
    totals: dict[str, int] = {}
    for info in files_info.values():
        for kind, count in info["records"].items():
            totals[kind] = totals.get(kind, 0) + count
    languages: dict[str, int] = {}
    near: dict[str, dict] = {}
    exact: dict[str, list[str]] = {}
    low: dict[str, list[str]] = {kind: [] for kind in LOW_QUALITY_KINDS}
    pii: dict[str, dict] = {}
    for page in plan:
        languages[page.language] = languages.get(page.language, 0) + 1
        html = bodies[page.url].decode(page.charset)
        found = {kind: [v for v in values if v in html] for kind, values in page.planted.items()}
        if any(found.values()):
            pii[page.url] = {kind: values for kind, values in found.items() if values}
        if page.low_quality:
            low[page.low_quality].append(page.url)
        if page.cluster and page.cluster.startswith("nd-"):
            entry = near.setdefault(page.cluster, {"original": None, "copies": []})
            if page.kind == "article":
                entry["original"] = page.url
            else:
                entry["copies"].append({"url": page.url, "edits": page.edits})
        if page.cluster and page.cluster.startswith("ex-"):
            exact.setdefault(page.cluster, []).append(page.url)
    manifest = {
        "generator": "webcorpus.sample",
        "seed": seed,
        "pages": n_pages,
        "files": files_info,
        "records": dict(sorted(totals.items())),
        "responses": {"html": n_pages, "non_html": 2, "not_found": 1, "redirect": 1},
        "languages": dict(sorted(languages.items())),
        "near_duplicate_clusters": dict(sorted(near.items())),
        "exact_duplicate_clusters": dict(sorted(exact.items())),
        "low_quality": low,
        "pii": pii,
        "boilerplate": {code: [book.chrome["cookie"], book.chrome["newsletter"], *(site.tagline for site in book.sites)]
                        for code, book in PHRASEBOOKS.items()},
        "other_records": other,
        "html_pages": [
            {"url": p.url, "file": file_of[p.url], "language": p.language, "kind": p.kind, "title": p.title,
             "site": p.site.host, "topic": p.topic or None, "charset": p.charset, "declared_in": p.declared_in,
             "cluster": p.cluster, "low_quality": p.low_quality}
            for p in plan
        ],
    }
    write_if_changed(out / MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
