"""Turn a folium map into a standalone HTML file or into pieces for a page with a strict CSP.

The web app's Content Security Policy allows scripts only from its own origin plus a
per-request nonce, and styles only from its own origin.  folium writes a whole HTML document
with CDN links, inline ``<script>`` blocks and inline ``<style>`` blocks, so
:func:`render_for_page`:

* swaps every CDN script and stylesheet for the local URL the app gives for that asset name
  (``{"leaflet": "/static/vendor/leaflet/leaflet.js", "leaflet_css": ".../leaflet.css"}``)
  and refuses to render if any asset has no local URL, naming it;
* joins the inline scripts into one, to be written with the request's nonce;
* returns the inline styles as one stylesheet for the app to serve from its own origin,
  leaving out folium's whole-page rules (``html, body {height: 100%}``) that would restyle the
  page around the map.

The browser still needs, in the page's CSP: ``img-src`` for ``https://tile.openstreetmap.org``
when tiles are shown and ``data:`` for raster overlays.

:func:`map_html` keeps folium's full document (CDN links allowed) for "download this map".
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

from maps._text import escape_text

__all__ = ["MapFragment", "MissingAssetError", "map_fragment", "map_html", "render_for_page"]

_NONCE = re.compile(r"[A-Za-z0-9+/_=-]{8,256}")
_BODY = re.compile(r"<body>(.*?)</body>", re.DOTALL)
_VIEWPORT = re.compile(r"<meta\s+name=\"viewport\"[^>]*>", re.DOTALL)
_PAGE_WIDE_CSS = re.compile(r"^\s*(html\s*,\s*body|#map)\s*\{", re.DOTALL)


class MissingAssetError(ValueError):
    """A map needs a script or stylesheet for which no local URL was given."""

    def __init__(self, missing: Mapping[str, str]) -> None:
        listed = "; ".join(f"{name!r} (folium would load {url})" for name, url in missing.items())
        super().__init__(
            f"no local URL for the map asset(s) {listed}: add them to asset_urls, served from "
            "the app's own origin"
        )
        self.missing = dict(missing)


@dataclass(frozen=True)
class MapFragment:
    """The pieces of a rendered map that a page embeds.

    Attributes
    ----------
    div:
        The map's ``<div class="folium-map" id="map_…"></div>``.
    script:
        The map's JavaScript (the inline scripts joined, in order), without ``<script>`` tags.
    script_urls, stylesheet_urls:
        Scripts and stylesheets to load first, in order (Leaflet before the map script).
    css:
        The map's own styles (the map box, legend, tooltip), to serve as a stylesheet.
    nonce:
        The CSP nonce written on the script tags by :meth:`head_html` and :meth:`body_html`.
    """

    div: str
    script: str
    script_urls: tuple[str, ...]
    stylesheet_urls: tuple[str, ...]
    css: str
    nonce: str | None = None

    def _nonce_attribute(self) -> str:
        return "" if self.nonce is None else f' nonce="{escape_text(self.nonce)}"'

    def head_html(self, *, css_url: str | None = None) -> str:
        """``<link>`` tags for the stylesheets (and for ``css_url``, where the page serves
        :attr:`css`)."""
        urls = [*self.stylesheet_urls, *([css_url] if css_url else [])]
        return "\n".join(f'<link rel="stylesheet" href="{escape_text(url)}">' for url in urls)

    def body_html(self) -> str:
        """The map's ``<div>``, its script tags (external first) and its inline script."""
        nonce = self._nonce_attribute()
        tags = [self.div]
        tags.extend(
            f'<script src="{escape_text(url)}"{nonce}></script>' for url in self.script_urls
        )
        tags.append(f"<script{nonce}>\n{self.script}\n</script>")
        return "\n".join(tags)


class _DocumentParts(HTMLParser):
    """Collects the script sources, stylesheet links, inline scripts and styles of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.script_urls: list[str] = []
        self.stylesheet_urls: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._inside: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            source = attributes.get("src")
            if source:
                self.script_urls.append(source)
            else:
                self._inside, self._buffer = "script", []
        elif tag == "style":
            self._inside, self._buffer = "style", []
        elif tag == "link" and (attributes.get("rel") or "").lower() == "stylesheet":
            self.stylesheet_urls.append(attributes.get("href") or "")

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._inside == tag:
            text = "".join(self._buffer).strip()
            if text:
                (self.scripts if tag == "script" else self.styles).append(text)
            self._inside = None


_PRISTINE = "_dip_pristine_children"
_FIGURE_PARTS = ("header", "html", "script")


def _render(m: folium.Map) -> tuple[str, Figure]:
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("the map is not inside a folium Figure; build it with maps.base_map")
    # Rendering writes into the figure's header, body and script, and folium's layers add a
    # fresh "addTo" element each time, so a second render would repeat them.  The figure's
    # parts are put back as they were before the first render, so every render is the same.
    pristine: dict[str, OrderedDict[str, Element]] | None = getattr(figure, _PRISTINE, None)
    if pristine is None:
        pristine = {part: OrderedDict(getattr(figure, part)._children) for part in _FIGURE_PARTS}
        setattr(figure, _PRISTINE, pristine)
    else:
        for part, children in pristine.items():
            getattr(figure, part)._children = OrderedDict(children)
    return figure.render(), figure


def _asset_names(figure: Figure) -> dict[str, str]:
    # After rendering, the figure header holds one link element per asset, keyed by its name.
    names: dict[str, str] = {}
    for name, child in figure.header._children.items():
        if isinstance(child, JavascriptLink | CssLink):
            names[str(child.url)] = str(name)
    return names


def _check_local(name: str, url: str) -> None:
    lowered = url.strip().lower()
    if lowered.startswith(("http:", "https:", "//", "javascript:", "data:")) or not lowered:
        raise ValueError(
            f"asset_urls[{name!r}] = {url!r} is not a same-origin URL; give a path such as "
            "'/static/vendor/leaflet/leaflet.js'"
        )


def map_fragment(
    m: folium.Map,
    *,
    asset_urls: Mapping[str, str] | None = None,
    nonce: str | None = None,
) -> MapFragment:
    """Split a rendered map into the pieces a page embeds.

    Parameters
    ----------
    m:
        The map.
    asset_urls:
        Local URL for each asset name (``"leaflet"``, ``"leaflet_css"``...).  When given, every
        script and stylesheet the map needs must be in it (:class:`MissingAssetError`
        otherwise); when ``None`` folium's CDN URLs are kept.
    nonce:
        CSP nonce for the script tags (letters, digits, ``+/_=-``).

    Returns
    -------
    MapFragment
    """
    if nonce is not None and not _NONCE.fullmatch(nonce):
        raise ValueError(
            "nonce must be 8 to 256 characters of letters, digits and + / _ = - "
            "(a base64 value from a secure random source)"
        )
    document, figure = _render(m)
    body = _BODY.search(document)
    div = body.group(1).strip() if body else ""
    if "<script" in div or "<style" in div:
        raise ValueError("the map's body holds a script or style block; it cannot be split")
    parts = _DocumentParts()
    parts.feed(document)
    parts.close()
    script_urls = list(parts.script_urls)
    stylesheet_urls = list(parts.stylesheet_urls)
    if asset_urls is not None:
        names = _asset_names(figure)
        missing: dict[str, str] = {}
        for urls in (script_urls, stylesheet_urls):
            for position, url in enumerate(urls):
                name = names.get(url, url)
                local = asset_urls.get(name)
                if local is None:
                    missing[name] = url
                    continue
                _check_local(name, local)
                urls[position] = local
        if missing:
            raise MissingAssetError(missing)
    css = "\n".join(style for style in parts.styles if not _PAGE_WIDE_CSS.match(style))
    return MapFragment(
        div=div,
        script="\n".join(parts.scripts),
        script_urls=tuple(script_urls),
        stylesheet_urls=tuple(stylesheet_urls),
        css=css,
        nonce=nonce,
    )


def render_for_page(m: folium.Map, *, nonce: str, asset_urls: Mapping[str, str]) -> MapFragment:
    """The map ready for a page under a strict CSP: local assets, nonce, styles apart.

    Parameters
    ----------
    m:
        The map.
    nonce:
        This request's CSP nonce, written on every script tag.
    asset_urls:
        Same-origin URL for every asset the map uses; maps built with this package need
        ``"leaflet"`` and ``"leaflet_css"`` (the npm ``leaflet`` package's ``dist/leaflet.js``
        and ``dist/leaflet.css``; Leaflet's CSS also refers to ``dist/images/`` beside it).

    Returns
    -------
    MapFragment
        Put :meth:`MapFragment.head_html` in the head (with the URL the page serves
        :attr:`MapFragment.css` at) and :meth:`MapFragment.body_html` where the map goes.

    Raises
    ------
    MissingAssetError
        If the map needs an asset with no entry in ``asset_urls``.
    ValueError
        For a nonce with unsafe characters, or an asset URL that is not same-origin.
    """
    return map_fragment(m, asset_urls=asset_urls, nonce=nonce)


def map_html(
    m: folium.Map,
    *,
    title: str | None = None,
    notes: tuple[str, ...] = (),
) -> str:
    """The map as one standalone HTML document (Leaflet from its CDN), for download.

    Parameters
    ----------
    m:
        The map.
    title:
        Document title (replaces the one given to :func:`maps.base.base_map`).
    notes:
        Lines shown in a footer under the map, e.g. source, date and licence
        (:meth:`maps.export.ExportMetadata.lines`).

    Returns
    -------
    str
        A complete HTML document in English, zoomable on phones (folium's default viewport
        forbids zooming, which fails WCAG 1.4.4).
    """
    document, figure = _render(m)
    document = document.replace("<html>", '<html lang="en">', 1)
    document = _VIEWPORT.sub(
        '<meta name="viewport" content="width=device-width, initial-scale=1">', document, count=1
    )
    if title:
        element = f"<title>{escape_text(title)}</title>"
        if figure.title:
            document = re.sub(r"<title>.*?</title>", lambda _: element, document, count=1)
        else:
            document = document.replace("<head>", f"<head>\n{element}", 1)
    if notes:
        footer = (
            "<style>body { display: flex; flex-direction: column; } "
            ".folium-map { flex: 1 1 auto; min-height: 0; height: auto !important; } "
            ".dip-map-notes { font: 14px/1.4 arial, sans-serif; margin: 0; padding: 6px 10px; "
            "border-top: 1px solid #b1b4b6; }</style>"
        )
        lines = "<br>".join(escape_text(line) for line in notes)
        document = document.replace("</head>", f"{footer}\n</head>", 1)
        document = document.replace(
            "</body>", f'<footer class="dip-map-notes"><p>{lines}</p></footer>\n</body>', 1
        )
    return document
