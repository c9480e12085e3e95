"""Legends in plain words, drawn on the map and returned as data for the page.

A :class:`Legend` is plain data (title, entries with colour and label, optional words for the
low and high ends).  :class:`LegendControl` draws it in the map's legend panel, and
:func:`map_legends` returns every legend on a map so that a page can show the same legend as
text beside its table.

The HTML is written for a strict Content Security Policy: no ``style`` attributes (swatches
are SVG shapes coloured with the ``fill`` attribute) and one stylesheet (:data:`LEGEND_CSS`),
which :func:`maps.render.render_for_page` hands to the page with folium's other styles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from maps._text import escape_text

__all__ = ["LEGEND_CSS", "Legend", "LegendControl", "LegendEntry", "map_legends"]

LEGEND_CSS = """
.dip-map-legends {
  background: #ffffff;
  border: 1px solid #505a5f;
  color: #0b0c0c;
  font: 14px/1.35 arial, sans-serif;
  max-width: 20rem;
  overflow-y: auto;
}
.dip-map-legends:focus { outline: 3px solid #ffdd00; }
.dip-map-legend { padding: 6px 10px; }
.dip-map-legend:not([hidden]) ~ .dip-map-legend:not([hidden]) { border-top: 1px solid #b1b4b6; }
.dip-map-legend[hidden] { display: none; }
.dip-map-legend__title { font-weight: 700; margin: 0 0 4px; }
.dip-map-legend__end { margin: 2px 0; }
.dip-map-legend__list { list-style: none; margin: 0; padding: 0; }
.dip-map-legend__item { align-items: center; display: flex; gap: 6px; margin: 2px 0; }
.dip-map-legend__swatch { flex: none; }
.dip-map-legend__note { margin: 4px 0 0; }
"""
"""Styles of the legend box (class names only; the page serves them from its own origin)."""

_SWATCH_PX = 18
_OUTLINE = "#505a5f"

LegendKind = Literal["fill", "circle", "line"]


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend: a colour and what it means.

    Attributes
    ----------
    label:
        Plain words, e.g. ``"2.0 to under 4.0"`` or ``"Not shown: fewer than 10"``.
    colour:
        ``#rrggbb``.
    count:
        How many areas (or cells, or points) are drawn in this colour, if known.
    size_px:
        For proportional circles, the circle radius in screen pixels.
    """

    label: str
    colour: str
    count: int | None = None
    size_px: float | None = None


@dataclass(frozen=True)
class Legend:
    """A legend as data: what a page shows as text and the map shows as a key.

    Attributes
    ----------
    title:
        What is mapped, in plain words (``"Share of premises below 10 Mbit/s"``).
    entries:
        Rows, in the order shown (highest class first for a graded scale).
    high_label, low_label:
        Words for the ends of a graded scale (``"Higher risk of digital exclusion"``), shown
        above and below the rows.
    note:
        One more line under the rows (method, source or date).
    kind:
        How the swatches are drawn: filled square, circle or line.
    """

    title: str
    entries: tuple[LegendEntry, ...]
    high_label: str | None = None
    low_label: str | None = None
    note: str | None = None
    kind: LegendKind = "fill"
    fill_opacity: float = 0.8

    def text_lines(self) -> list[str]:
        """The legend as lines of plain text (title, ends and entries), for a page or a file."""
        lines = [self.title]
        if self.high_label:
            lines.append(self.high_label)
        for entry in self.entries:
            count = "" if entry.count is None else f" ({entry.count:,})"
            lines.append(f"{entry.label}{count}")
        if self.low_label:
            lines.append(self.low_label)
        if self.note:
            lines.append(self.note)
        return lines

    def _swatch(self, entry: LegendEntry) -> str:
        colour = escape_text(entry.colour)
        size = _SWATCH_PX
        if self.kind == "circle":
            radius = min(max(entry.size_px or size / 2 - 1, 2.0), 30.0)
            size = int(2 * radius + 2)
            shape = (
                f'<circle cx="{size / 2:g}" cy="{size / 2:g}" r="{radius:g}" fill="{colour}" '
                f'fill-opacity="{self.fill_opacity:g}" stroke="{_OUTLINE}" stroke-width="1"/>'
            )
        elif self.kind == "line":
            shape = (
                f'<line x1="1" y1="{size / 2:g}" x2="{size - 1}" y2="{size / 2:g}" '
                f'stroke="{colour}" stroke-width="3"/>'
            )
        else:
            shape = (
                f'<rect x="0.5" y="0.5" width="{size - 1}" height="{size - 1}" fill="{colour}" '
                f'fill-opacity="{self.fill_opacity:g}" stroke="{_OUTLINE}" stroke-width="1"/>'
            )
        return (
            f'<svg class="dip-map-legend__swatch" aria-hidden="true" focusable="false" '
            f'width="{size}" height="{size}" viewBox="0 0 {size} {size}">{shape}</svg>'
        )

    def to_html(self) -> str:
        """The legend as an HTML fragment (classes and SVG attributes only, no inline styles).

        Every text is HTML-escaped.
        """
        parts = [f'<p class="dip-map-legend__title">{escape_text(self.title)}</p>']
        if self.high_label:
            parts.append(f'<p class="dip-map-legend__end">{escape_text(self.high_label)}</p>')
        parts.append('<ul class="dip-map-legend__list">')
        for entry in self.entries:
            parts.append(
                f'<li class="dip-map-legend__item">{self._swatch(entry)}'
                f"<span>{escape_text(entry.label)}</span></li>"
            )
        parts.append("</ul>")
        if self.low_label:
            parts.append(f'<p class="dip-map-legend__end">{escape_text(self.low_label)}</p>')
        if self.note:
            parts.append(f'<p class="dip-map-legend__note">{escape_text(self.note)}</p>')
        return "".join(parts)


class LegendControl(MacroElement):
    """A folium element that draws a :class:`Legend` in the map's legend panel.

    All legends on a map share one panel in the bottom-right corner, one section per legend in
    the order added; the panel scrolls (and can be reached with the keyboard) when the sections
    are taller than the map.  When ``layer`` is given its section shows only while that layer
    is switched on in the layer control.  Add the control after the layer it describes (its
    script refers to the layer).

    Parameters
    ----------
    legend:
        What to draw.
    layer:
        The folium layer the legend belongs to, if any.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            if (!map._dipLegendPanel) {
                var panel = L.control({position: "bottomright"});
                panel.onAdd = function() {
                    var box = L.DomUtil.create("div", "dip-map-legends");
                    box.setAttribute("role", "group");
                    box.setAttribute("aria-label", "Map legend");
                    box.setAttribute("tabindex", "0");
                    L.DomEvent.disableClickPropagation(box);
                    L.DomEvent.disableScrollPropagation(box);
                    return box;
                };
                panel.addTo(map);
                map._dipLegendPanel = panel.getContainer();
                var fit = function() {
                    map._dipLegendPanel.style.maxHeight = Math.max(map.getSize().y - 90, 80) + "px";
                };
                map.on("resize", fit);
                fit();
            }
            var section = L.DomUtil.create("div", "dip-map-legend", map._dipLegendPanel);
            section.innerHTML = {{ this.html|tojson }};
            {%- if this.layer is not none %}
            var layer = {{ this.layer.get_name() }};
            section.hidden = !map.hasLayer(layer);
            map.on("overlayadd", function(e) { if (e.layer === layer) { section.hidden = false; } });
            map.on("overlayremove", function(e) { if (e.layer === layer) { section.hidden = true; } });
            {%- endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, legend: Legend, *, layer: folium.map.Layer | None = None) -> None:
        super().__init__()
        self._name = "LegendControl"
        self.legend = legend
        self.layer = layer
        self.html = legend.to_html()

    def render(self, **kwargs: Any) -> Any:
        """Render the control; the shared legend stylesheet goes once into the page header."""
        figure = self.get_root()
        if isinstance(figure, Figure):
            figure.header.add_child(
                Element(f"<style>{LEGEND_CSS}</style>"), name="dip_map_legend_css"
            )
        return super().render(**kwargs)


def _walk(element: Element) -> Iterator[Element]:
    # branca keeps children in an ordered dict; the order is the drawing order.
    for child in element._children.values():
        yield child
        yield from _walk(child)


def map_legends(m: folium.Map) -> list[Legend]:
    """Every legend drawn on ``m``, in the order they were added.

    Parameters
    ----------
    m:
        A map built with this package.

    Returns
    -------
    list of Legend
        The same data the map draws, for a page to show as text.
    """
    return [child.legend for child in _walk(m) if isinstance(child, LegendControl)]
