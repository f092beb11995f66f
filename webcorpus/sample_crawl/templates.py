"""The sample's HTML template engine: three site layouts around one article body.

Each layout wraps the body in the boilerplate a real page carries (cookie
banner, header with navigation and search, sidebar, newsletter box, footer,
scripts), and the layouts differ in markup (``<article>`` versus nested
``<div>`` soup, a related-links box in the middle of the text) so an extractor
cannot rely on a single structure. All text is escaped here; callers pass plain
strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from zlib import crc32

from .phrases import Phrasebook, Site

LAYOUTS = 3


@dataclass
class PageContent:
    """What a page says, independent of how its site lays it out."""

    title: str
    paragraphs: list[str]
    author: str = ""
    published: str = ""  # ISO date
    links: list[tuple[str, str]] = field(default_factory=list)  # main-content link list (low-quality pages)
    note: str = ""  # e.g. a syndication line under the article


def _nav(book: Phrasebook) -> str:
    items = [f'<li><a href="/">{escape(book.chrome["home"])}</a></li>']
    items += [f'<li><a href="/{i}/">{escape(label)}</a></li>' for i, label in enumerate(book.chrome["nav"])]
    return "<ul>" + "".join(items) + "</ul>"


def _links(links: list[tuple[str, str]], tag: str = "ul") -> str:
    rows = "".join(f'<li><a href="{escape(url)}">{escape(text)}</a></li>' for text, url in links)
    return f"<{tag}>{rows}</{tag}>"


def _meta_charset(charset: str | None, http_equiv: bool) -> str:
    if not charset:
        return ""
    if http_equiv:
        return f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    return f'<meta charset="{charset}">'


def _body(content: PageContent, related: str = "") -> str:
    paragraphs = [f"<p>{escape(p)}</p>" for p in content.paragraphs]
    if related and len(paragraphs) > 2:
        paragraphs.insert(2, related)
    if content.links:
        paragraphs.append(_links(content.links))
    if content.note:
        paragraphs.append(f'<p class="syndication"><em>{escape(content.note)}</em></p>')
    return "\n".join(paragraphs)


def _footer_links(book: Phrasebook) -> str:
    keys = ("about", "contact", "privacy", "terms")
    return " | ".join(f'<a href="/{key}">{escape(book.chrome[key])}</a>' for key in keys)


def render_page(book: Phrasebook, site: Site, content: PageContent, *, layout: int, url: str,
                meta_charset: str | None, sidebar: list[tuple[str, str]]) -> str:
    """A complete HTML document for ``content`` on ``site`` in one of :data:`LAYOUTS` layouts."""
    c = {key: escape(value) for key, value in book.chrome.items() if isinstance(value, str)}
    title, name = escape(content.title), escape(site.name)
    byline = ""
    if content.author:
        byline = (f'{c["by"]} <a rel="author" href="/authors/{crc32(content.author.encode()) % 1000}">'
                  f'{escape(content.author)}</a> | <time datetime="{content.published}">{content.published}</time>')
    head = (f'<!DOCTYPE html>\n<html lang="{book.code}">\n<head>\n{_meta_charset(meta_charset, layout == 1)}\n'
            f'<title>{title} | {name}</title>\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link rel="canonical" href="{escape(url)}">\n<link rel="stylesheet" href="/static/site.css">\n</head>\n')
    cookie = (f'<div id="cookie-banner" class="consent"><p>{c["cookie"]}</p>'
              f'<button class="accept">{c["accept"]}</button><button>{c["settings"]}</button></div>')
    newsletter = (f'<section class="newsletter"><p>{c["newsletter"]}</p><form action="/newsletter">'
                  f'<input type="email" name="email"><button>{c["subscribe"]}</button></form></section>')
    rights = f'<p class="copyright">&copy; 2024 {name}. {c["rights"]}</p>'
    script = '<script>window.dataLayer=window.dataLayer||[];function track(e){dataLayer.push(e)}</script>'
    if layout == 0:
        body = (f'<body>\n<a class="skip" href="#main">{c["skip"]}</a>\n{cookie}\n'
                f'<header class="site-header"><a class="logo" href="/">{name}</a><p class="tagline">'
                f'{escape(site.tagline)}</p><nav class="main-nav">{_nav(book)}</nav>'
                f'<form class="search" action="/search"><input name="q" placeholder="{c["search"]}"></form></header>\n'
                f'<main id="main">\n<article>\n<h1>{title}</h1>\n<p class="byline">{byline}</p>\n'
                f'{_body(content)}\n<div class="share">{c["share"]}: <a href="#">Mail</a> <a href="#">Feed</a></div>\n'
                f'</article>\n<aside class="sidebar"><h2>{c["most_read"]}</h2>{_links(sidebar, "ol")}</aside>\n</main>\n'
                f'{newsletter}\n<footer>{_footer_links(book)}{rights}</footer>\n{script}\n</body>\n</html>\n')
    elif layout == 1:
        body = (f'<body class="blog">\n<div class="wrapper">\n<div class="top-bar">{cookie}</div>\n'
                f'<div id="header"><div class="site-title"><a href="/">{name}</a></div>'
                f'<div class="menu">{_nav(book)}</div></div>\n<div id="content">\n<div class="post">\n'
                f'<h2 class="post-title">{title}</h2>\n<div class="post-meta">{byline}</div>\n'
                f'<div class="entry-content">\n{_body(content)}\n</div>\n</div>\n'
                f'<div class="widget"><h3>{c["most_read"]}</h3>{_links(sidebar)}</div>\n{newsletter}\n</div>\n'
                f'<div id="footer">{_footer_links(book)}<br>{rights}</div>\n</div>\n{script}\n</body>\n</html>\n')
    else:
        related = f'<aside class="related"><h3>{c["related"]}</h3>{_links(sidebar[:3])}</aside>'
        body = (f'<body>\n{cookie}\n<div class="masthead"><span class="brand">{name}</span>'
                f'<nav aria-label="primary">{_nav(book)}</nav></div>\n<div class="layout">\n'
                f'<section class="story" data-type="article">\n<header><h1 class="headline">{title}</h1>'
                f'<div class="meta">{byline}</div></header>\n<div class="story-body">\n{_body(content, related)}\n</div>\n'
                f'</section>\n<div class="rail"><h3>{c["most_read"]}</h3>{_links(sidebar[3:])}</div>\n</div>\n'
                f'<footer class="site-footer"><p>{escape(site.tagline)}</p>{_footer_links(book)}{rights}</footer>\n'
                f'{script}\n</body>\n</html>\n')
    return head + body
