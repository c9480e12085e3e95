"""Tests for maps.render: standalone HTML and page fragments for a strict CSP."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from folium.plugins import MarkerCluster

from maps.choropleth import choropleth_map
from maps.render import MissingAssetError, map_fragment, map_html, render_for_page
from tests.maps.support import squares

ASSETS = {
    "leaflet": "/static/vendor/leaflet/leaflet.js",
    "leaflet_css": "/static/vendor/leaflet/leaflet.css",
}
NONCE = "r4nd0mN0nce+/="


def _map(tiles: bool = True):
    return choropleth_map(
        squares([1.0, 2.0, 3.0]),
        "value",
        code_column="code",
        name_column="name",
        title="Risk & need",
        legend_title="Risk index",
        tiles=tiles,
    )


def _page(fragment) -> BeautifulSoup:
    return BeautifulSoup(
        f"<html><head>{fragment.head_html(css_url='/maps/1.css')}</head>"
        f"<body>{fragment.body_html()}</body></html>",
        "html.parser",
    )


def test_page_fragment_loads_nothing_from_another_origin() -> None:
    page = _page(render_for_page(_map(), nonce=NONCE, asset_urls=ASSETS))
    sources = [tag["src"] for tag in page.find_all("script", src=True)]
    links = [tag["href"] for tag in page.find_all("link")]
    assert sources == [ASSETS["leaflet"]]
    assert links == [ASSETS["leaflet_css"], "/maps/1.css"]
    for url in [*sources, *links]:
        assert not re.match(r"(https?:)?//", url)


def test_every_script_tag_carries_the_nonce() -> None:
    page = _page(render_for_page(_map(), nonce=NONCE, asset_urls=ASSETS))
    scripts = page.find_all("script")
    inline = [tag for tag in scripts if not tag.get("src")]
    assert len(inline) == 1
    assert "L.map(" in inline[0].string
    assert all(tag.get("nonce") == NONCE for tag in scripts)


def test_page_fragment_has_no_inline_style_blocks_or_attributes() -> None:
    fragment = render_for_page(_map(), nonce=NONCE, asset_urls=ASSETS)
    page = _page(fragment)
    assert page.find("style") is None
    assert not [tag for tag in page.find_all(True) if tag.has_attr("style")]
    # The legend HTML written into the map by script has no style attributes either.
    assert "style=" not in fragment.script.replace("\\u003c", "<")


def test_styles_are_returned_apart_without_whole_page_rules() -> None:
    fragment = render_for_page(_map(), nonce=NONCE, asset_urls=ASSETS)
    map_id = re.search(r'id="(map_[0-9a-f]+)"', fragment.div)
    assert map_id is not None
    assert f"#{map_id.group(1)}" in fragment.css
    assert ".dip-map-legend" in fragment.css
    assert ".foliumtooltip" in fragment.css
    assert "html, body" not in fragment.css
    assert "#map {" not in fragment.css


def test_the_div_is_the_map_container_the_script_draws_into() -> None:
    fragment = render_for_page(_map(), nonce=NONCE, asset_urls=ASSETS)
    div = BeautifulSoup(fragment.div, "html.parser").div
    assert div is not None and "folium-map" in div["class"]
    assert f'L.map(\n                "{div["id"]}"' in fragment.script


def test_without_asset_urls_the_cdn_links_are_kept() -> None:
    fragment = map_fragment(_map())
    assert fragment.script_urls == ("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",)
    assert fragment.nonce is None
    assert "<script>" in fragment.body_html()


def test_maps_need_only_leaflet() -> None:
    fragment = map_fragment(_map())
    assert len(fragment.script_urls) == 1 and len(fragment.stylesheet_urls) == 1
    assert "jquery" not in fragment.body_html() and "bootstrap" not in fragment.head_html()


def test_an_asset_without_a_local_url_is_refused_by_name() -> None:
    m = _map()
    MarkerCluster().add_to(m)
    with pytest.raises(MissingAssetError, match="markerclusterjs") as caught:
        render_for_page(m, nonce=NONCE, asset_urls=ASSETS)
    assert "markerclusterjs" in caught.value.missing


def test_asset_urls_must_be_same_origin() -> None:
    with pytest.raises(ValueError, match="not a same-origin URL"):
        render_for_page(
            _map(),
            nonce=NONCE,
            asset_urls={**ASSETS, "leaflet": "https://unpkg.com/leaflet/dist/leaflet.js"},
        )
    with pytest.raises(ValueError, match="not a same-origin URL"):
        render_for_page(_map(), nonce=NONCE, asset_urls={**ASSETS, "leaflet": "//cdn/l.js"})


@pytest.mark.parametrize("nonce", ['abc"><script>', "short", "has space in it"])
def test_unsafe_nonces_are_refused(nonce: str) -> None:
    with pytest.raises(ValueError, match="nonce"):
        render_for_page(_map(), nonce=nonce, asset_urls=ASSETS)


def test_standalone_html_is_a_complete_accessible_document() -> None:
    html = map_html(_map(), notes=("Source: ONS", "Date: 1 May 2026"))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.title.string == "Risk &amp; need" or soup.title.get_text() == "Risk & need"
    viewport = soup.find("meta", attrs={"name": "viewport"})
    assert "user-scalable=no" not in viewport["content"]
    assert "maximum-scale" not in viewport["content"]
    footer = soup.find("footer")
    assert footer is not None and "Source: ONS" in footer.get_text()
    assert "Date: 1 May 2026" in footer.get_text()
    assert "L.map(" in html


def test_rendering_twice_gives_the_same_fragment() -> None:
    m = _map()
    first = render_for_page(m, nonce=NONCE, asset_urls=ASSETS)
    second = render_for_page(m, nonce=NONCE, asset_urls=ASSETS)
    assert first == second
