"""Tests for maps.legend: legends as data, as CSP-safe HTML, and found on a map."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from maps.base import base_map
from maps.legend import Legend, LegendControl, LegendEntry, map_legends

LEGEND = Legend(
    title="Share of premises below 10 Mbit/s",
    entries=(
        LegendEntry("50% to 100%", "#bd0026", count=3),
        LegendEntry("0% to under 50%", "#ffffb2", count=12),
        LegendEntry("Not shown: fewer than 10 premises", "#d4d4d4", count=1),
    ),
    high_label="More premises with slow broadband",
    low_label="Fewer premises with slow broadband",
    note="Ofcom Connected Nations, May 2026",
)


def test_text_lines_give_the_legend_in_reading_order() -> None:
    assert LEGEND.text_lines() == [
        "Share of premises below 10 Mbit/s",
        "More premises with slow broadband",
        "50% to 100% (3)",
        "0% to under 50% (12)",
        "Not shown: fewer than 10 premises (1)",
        "Fewer premises with slow broadband",
        "Ofcom Connected Nations, May 2026",
    ]


def test_html_has_one_item_per_entry_and_no_inline_styles() -> None:
    html = LEGEND.to_html()
    soup = BeautifulSoup(html, "html.parser")
    items = soup.select("li.dip-map-legend__item")
    assert [item.get_text() for item in items] == [
        "50% to 100%",
        "0% to under 50%",
        "Not shown: fewer than 10 premises",
    ]
    # Swatches are coloured by SVG attributes: a strict CSP blocks style attributes.
    assert [item.find("rect")["fill"] for item in items] == ["#bd0026", "#ffffb2", "#d4d4d4"]
    assert not re.search(r"\sstyle\s*=", html)
    assert all(svg["aria-hidden"] == "true" for svg in soup.find_all("svg"))


def test_html_escapes_every_text() -> None:
    legend = Legend(title="<b>Risk</b>", entries=(LegendEntry("a & b <i>", "#000000"),))
    html = legend.to_html()
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;Risk&lt;/b&gt;" in html
    assert "a &amp; b &lt;i&gt;" in html


def test_circle_legends_draw_circles_of_the_given_radius() -> None:
    legend = Legend(
        title="Devices on loan",
        entries=(
            LegendEntry("40", "#e69f00", size_px=20.0),
            LegendEntry("10", "#e69f00", size_px=10.0),
        ),
        kind="circle",
    )
    circles = BeautifulSoup(legend.to_html(), "html.parser").find_all("circle")
    assert [float(circle["r"]) for circle in circles] == [20.0, 10.0]


def test_map_legends_returns_what_the_map_draws_in_order() -> None:
    m = base_map(tiles=False)
    second = Legend(title="Second", entries=())
    LegendControl(LEGEND).add_to(m)
    LegendControl(second).add_to(m)
    assert map_legends(m) == [LEGEND, second]
    html = m.get_root().render()
    # The legend HTML sits in the script as a JSON string, so its quotes are escaped.
    assert html.count('class=\\"dip-map-legend__title\\"') == 2
    # One shared stylesheet, however many legends.
    assert html.count(".dip-map-legend {") == 1
