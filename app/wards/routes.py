"""Ward pages: find a ward, its profile, the borough and layer maps, and the downloads."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Form, StringField
from wtforms.validators import Length, Optional

from app.access import roles_allowed
from app.auth.roles import ADMIN, COUNCILLOR, PLANNER
from app.database import db_session
from app.security import csp_nonce
from app.wards import context, exports
from app.wards.figures import SECTIONS, ProviderNote, WardFigure, WardTable
from app.wards.mapping import BuiltMap, legend_rows
from app.wards.presenters import figure_rows, shown_figure, table_rows
from app.wards.services import WardData, cached
from core.clock import govuk_date, today_london
from maps.export import ExportMetadata, to_html_bytes

bp = Blueprint("wards", __name__, url_prefix="/wards")

VIEW_ROLES = (COUNCILLOR, PLANNER, ADMIN)

NOT_YET = {
    "key": "Not available yet: no population or premises have been loaded.",
    "personas": "Not available yet: persona estimates need survey responses and Census population.",
    "barriers": "Not available yet: barrier estimates need survey responses.",
    "coverage": "Not available yet: broadband and mobile coverage have not been modelled.",
    "venues": "Not available yet: no places to get help have been loaded.",
    "sessions": "Not available yet: no sessions or help given by champions are recorded.",
    "loans": "Not available yet: no device loans are recorded.",
    "interventions": "Not available yet: recommendations need survey estimates and coverage.",
}


class WardSearchForm(Form):  # type: ignore[misc, unused-ignore]  # WTForms is untyped
    """Find a ward by name (a GET search that changes nothing: a plain form, no CSRF token)."""

    q = StringField(
        "Find a ward by name",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=100, message="Ward name must be 100 characters or fewer"),
        ],
        description="For example, part of the name: 'north' finds every ward with north in it",
    )


def _allow_tiles() -> None:
    if context.tiles_online():
        g.allow_map_tiles = True


def _map_page_parts(built: BuiltMap, wards: WardData) -> dict[str, object]:
    fragment = built.for_request(csp_nonce())
    css_url = url_for("wards.map_css", map_id=built.map_id, v=wards.version_tag)
    return {
        "map_head": fragment.head_html(css_url=css_url),
        "map_body": fragment.body_html(),
        "legends": legend_rows(built.legends),
        "map_tables": built.tables,
    }


def _suppression_text() -> str | None:
    if context.detail() == "full":
        return None
    limit = f"{context.threshold():g}"
    return (
        f"To protect privacy, counts of fewer than {limit} people are shown as 'fewer than "
        f"{limit}', and a few other figures say 'not shown' so that a small number cannot be "
        "worked out from a total."
    )


@bp.route("/")
@roles_allowed(*VIEW_ROLES)
def index() -> str:
    wards = context.data()
    form = WardSearchForm(request.args)
    query = ""
    if request.args and form.validate():
        query = (form.q.data or "").strip()
    folded = query.casefold()
    found = [
        ward
        for ward in wards.wards
        if folded in ward.name.casefold() or folded == ward.code.casefold()
    ]
    headline = [
        figure
        for figure in wards.collected.figures
        if figure.key in {"residents", "help_venues", "walk_share_10_min", "exclusion_index"}
    ]
    codes = wards.ward_codes
    shown = {
        figure.key: shown_figure(
            figure, detail=context.detail(), threshold=context.threshold(), codes=codes
        )[0]
        for figure in headline
    }
    return render_template(
        "wards/index.html",
        form=form,
        query=query,
        wards=found,
        total=len(wards.wards),
        headline=headline,
        shown=shown,
    )


@bp.route("/map")
@roles_allowed(*VIEW_ROLES)
def borough_map() -> str:
    wards = context.data()
    built = context.built_map("borough")
    assert built is not None
    _allow_tiles()
    layers = [spec for spec in wards.collected.layers]
    return render_template(
        "wards/map.html",
        title="Ward maps of the borough",
        built=built,
        layers=layers,
        downloads=exports.datasets(wards),
        suppression=_suppression_text(),
        has_wards=bool(wards.wards),
        **_map_page_parts(built, wards),
    )


@bp.route("/maps/<layer_key>")
@roles_allowed(*VIEW_ROLES)
def layer_map(layer_key: str) -> str:
    wards = context.data()
    spec = wards.collected.layer(layer_key)
    built = context.built_map(f"layer-{layer_key}") if spec is not None else None
    if spec is None or built is None:
        abort(404)
    _allow_tiles()
    return render_template(
        "wards/map.html",
        title=spec.title,
        built=built,
        spec=spec,
        layers=list(wards.collected.layers),
        downloads=[d for d in exports.datasets(wards) if d.key == layer_key],
        suppression=_suppression_text(),
        has_wards=bool(wards.wards),
        **_map_page_parts(built, wards),
    )


@bp.route("/map-styles/<map_id>.css")
@roles_allowed(*VIEW_ROLES)
def map_css(map_id: str) -> Response:
    built = context.built_map(map_id)
    if built is None:
        abort(404)
    response = Response(built.fragment.css, mimetype="text/css")
    # The URL carries the data version, so the stylesheet can be kept while the data stands.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/downloads")
@roles_allowed(*VIEW_ROLES)
def downloads() -> str:
    wards = context.data()
    return render_template(
        "wards/downloads.html",
        datasets=exports.datasets(wards),
        wards=wards.wards,
        suppression=_suppression_text(),
    )


def _download(dataset_key: str, fmt: str) -> Response:
    wards = context.data()
    dataset = exports.find_dataset(wards, dataset_key)
    if dataset is None:
        abort(404)
    export = exports.build_export(
        wards,
        dataset,
        db_session(),
        detail=context.detail(),
        threshold=context.threshold(),
        today=today_london(),
        council=str(current_app.config["COUNCIL_NAME"]),
    )
    body = exports.export_bytes(export, fmt, layer=dataset.key)
    return Response(
        body,
        mimetype=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename={dataset.key}.{fmt}"},
    )


@bp.route("/downloads/<dataset_key>.geojson")
@roles_allowed(*VIEW_ROLES)
def download_geojson(dataset_key: str) -> Response:
    return _download(dataset_key, "geojson")


@bp.route("/downloads/<dataset_key>.csv")
@roles_allowed(*VIEW_ROLES)
def download_csv(dataset_key: str) -> Response:
    return _download(dataset_key, "csv")


@bp.route("/downloads/<dataset_key>.gpkg")
@roles_allowed(*VIEW_ROLES)
def download_gpkg(dataset_key: str) -> Response:
    return _download(dataset_key, "gpkg")


@bp.route("/downloads/<map_id>.html")
@roles_allowed(*VIEW_ROLES)
def download_map(map_id: str) -> Response:
    wards = context.data()
    target = context.resolve(map_id, wards)
    if target is None:
        abort(404)
    # A standalone file is opened later, online or not: it always asks for tiles.
    options = context.map_options(tiles=True)
    council = str(current_app.config["COUNCIL_NAME"])

    def build() -> bytes:
        m, _tables, _keys = context.folium_map(wards, target, options)
        metadata = ExportMetadata(
            title=f"{target.title}, {council}",
            source="Digital Inclusion Planner: "
            + "; ".join(dict.fromkeys(spec.source for spec in wards.collected.layers))
            if wards.collected.layers
            else "Digital Inclusion Planner",
            date=today_london(),
            licence=exports.MIXED_LICENCE,
            attribution=(
                *exports.ATTRIBUTION,
                *exports._suppression_notes(options.detail, options.threshold),
            ),
        )
        return to_html_bytes(m, metadata=metadata)

    body = cached(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        ("html", map_id, options.detail, wards.version_tag, today_london()),
        build,
    )
    return Response(
        body,
        mimetype=exports.MEDIA_TYPES["html"],
        headers={"Content-Disposition": f"attachment; filename={map_id}.html"},
    )


@bp.route("/<ward_code>")
@roles_allowed(*VIEW_ROLES)
def profile(ward_code: str) -> str:
    wards = context.data()
    ward = wards.ward(ward_code)
    if ward is None:
        abort(404)
    detail = context.detail()
    threshold = context.threshold()
    codes = wards.ward_codes
    grouped = wards.collected.sections()
    sections = []
    for key, heading in SECTIONS:
        figures = grouped[key]
        tables = [table for table in wards.collected.tables if table.section == key]
        sections.append(
            {
                "key": key,
                "heading": heading,
                "rows": figure_rows(
                    figures, ward_code, detail=detail, threshold=threshold, ward_codes=codes
                ),
                "tables": [
                    {
                        "table": table,
                        "rows": table_rows(table, ward_code, detail=detail, threshold=threshold),
                    }
                    for table in tables
                ],
                "notes": list(
                    dict.fromkeys(
                        [figure.note for figure in figures if figure.note]
                        + [table.note for table in tables if table.note]
                    )
                ),
                "sources": _sources(figures, tables),
                "missing": NOT_YET[key],
            }
        )
    built = context.built_map(f"ward-{ward_code}")
    assert built is not None
    _allow_tiles()
    return render_template(
        "wards/profile.html",
        ward=ward,
        sections=sections,
        notes=_notes(wards.collected.notes),
        suppression=_suppression_text(),
        built=built,
        **_map_page_parts(built, wards),
    )


def _sources(figures: Sequence[WardFigure], tables: Sequence[WardTable]) -> list[str]:
    items: list[WardFigure | WardTable] = [*figures, *tables]
    lines = [
        f"{item.source}{', ' + govuk_date(item.date) if item.date else ''} ({item.licence})"
        for item in items
    ]
    return list(dict.fromkeys(lines))


def _notes(notes: tuple[ProviderNote, ...]) -> list[str]:
    return [f"{note.provider.replace('_', ' ')}: {note.message}" for note in notes]
