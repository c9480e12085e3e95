"""The ward figures contract, the registries and the one suppression path every output uses."""

from __future__ import annotations

from datetime import date

import hypothesis
import hypothesis.strategies as st
import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.wards.figures import (
    MapLayerSpec,
    TableColumn,
    WardFigure,
    WardTable,
    collect,
    data_version,
    figure_provider,
    map_layer_provider,
    memo,
    table_provider,
)
from app.wards.presenters import (
    FEW_PEOPLE_TEXT,
    SUPPRESSED_TEXT,
    comparison,
    figure_rows,
    shown_values,
    table_cell,
    value_text,
)
from core.errors import DomainError

DAY = date(2027, 3, 1)


def figure(**changes: object) -> WardFigure:
    values: dict[str, object] = {
        "key": "devices",
        "label": "Devices on loan",
        "unit": "count",
        "values": {"W1": 12.0, "W2": 3.0, "W3": 40.0},
        "borough": 55.0,
        "source": "Loans register",
        "date": DAY,
        "is_count": True,
    }
    values.update(changes)
    return WardFigure(**values)  # type: ignore[arg-type]


# --- the contract ---------------------------------------------------------------------------


def test_a_figure_refuses_a_bad_key_unit_section_or_value() -> None:
    with pytest.raises(ValueError, match="key 'Bad Key'"):
        figure(key="Bad Key")
    with pytest.raises(ValueError, match="unit must be one of"):
        figure(unit="percent")
    with pytest.raises(ValueError, match="section must be one of"):
        figure(section="misc")
    with pytest.raises(ValueError, match="count for W1 is negative"):
        figure(values={"W1": -1.0})
    with pytest.raises(ValueError, match="finite number"):
        figure(values={"W1": float("inf")})
    with pytest.raises(ValueError, match="a share is from 0 to 1"):
        figure(unit="share", is_count=False, values={"W1": 1.2}, borough=None)


def test_a_share_a_hair_above_one_is_put_back_and_nan_means_unknown() -> None:
    share = figure(
        unit="share", is_count=False, values={"W1": 1.0000000002, "W2": float("nan")}, borough=0.5
    )
    assert share.values == {"W1": 1.0, "W2": None}


def test_a_layer_checks_its_style_and_class_edges() -> None:
    base = {
        "key": "walk",
        "title": "Walking access",
        "area_kind": "lsoa",
        "values": {"A": 0.5},
        "legend_title": "Residents within 10 minutes",
        "unit": "share",
        "source": "Model",
        "licence": "OGL",
        "date": DAY,
    }
    with pytest.raises(ValueError, match="circles are drawn per ward only"):
        MapLayerSpec(**{**base, "style": "circles"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="3 or more increasing"):
        MapLayerSpec(**{**base, "class_edges": (0.0, 0.5, 0.4)})  # type: ignore[arg-type]
    layer = MapLayerSpec(**{**base, "class_edges": (0, 0.5, 1)})  # type: ignore[arg-type]
    assert layer.class_edges == (0.0, 0.5, 1.0) and layer.kind == "choropleth"


# --- suppression ------------------------------------------------------------------------------


def test_staff_see_every_count() -> None:
    shown, borough = shown_values(
        {"W1": 12.0, "W2": 3.0}, unit="count", detail="full", borough=15.0, is_count=True
    )
    assert [shown[c].text for c in ("W1", "W2")] == ["12", "3"]
    assert borough.value == 15.0 and not borough.suppressed


def test_a_small_count_is_hidden_and_a_second_cell_too_so_the_total_cannot_give_it_away() -> None:
    shown, borough = shown_values(
        {"W1": 12.0, "W2": 3.0, "W3": 40.0},
        unit="count",
        detail="suppressed",
        borough=55.0,
        is_count=True,
    )
    assert shown["W2"].text == "fewer than 10" and shown["W2"].value is None
    # 55 - 12 - 40 = 3: the next smallest ward is hidden as well.
    assert shown["W1"].suppressed and shown["W1"].text == SUPPRESSED_TEXT
    assert shown["W3"].value == 40.0
    assert borough.value == 55.0


def test_zero_is_shown_and_missing_stays_missing() -> None:
    shown, _ = shown_values(
        {"W1": 0.0, "W2": None, "W3": 25.0}, unit="count", detail="suppressed", is_count=True
    )
    assert shown["W1"].text == "0" and not shown["W1"].suppressed
    assert shown["W2"].text == "not available" and not shown["W2"].suppressed


def test_a_share_from_few_people_is_hidden() -> None:
    shown, _ = shown_values(
        {"W1": 0.5, "W2": 0.25, "W3": 0.0},
        unit="share",
        detail="suppressed",
        base_counts={"W1": 4.0, "W2": 400.0, "W3": 0.0},
    )
    assert shown["W1"].text == FEW_PEOPLE_TEXT
    assert shown["W2"].text == "25%"
    assert shown["W3"].text == "0%"


def test_a_provider_can_ask_for_more_wards_to_be_hidden() -> None:
    shown, _ = shown_values(
        {"W1": 0.5, "W2": 0.5}, unit="share", detail="suppressed", suppress_codes={"W2"}
    )
    assert not shown["W1"].suppressed and shown["W2"].suppressed


@hypothesis.given(
    st.dictionaries(
        st.sampled_from(["A", "B", "C", "D", "E"]),
        st.integers(min_value=0, max_value=60).map(float),
        min_size=2,
    )
)
def test_no_hidden_count_can_be_worked_out_from_the_total(counts: dict[str, float]) -> None:
    total = sum(counts.values())
    shown, borough = shown_values(
        counts, unit="count", detail="suppressed", borough=total, is_count=True
    )
    for item in shown.values():
        assert item.value is None or not 0 < item.value < 10
    hidden = [code for code, item in shown.items() if item.suppressed]
    if borough.value is not None:
        assert len(hidden) != 1


def test_words_compare_a_ward_with_the_borough() -> None:
    assert value_text(0.456, "share") == "46%"
    assert value_text(12.34, "minutes") == "12.3 minutes"
    assert value_text(None, "count") == "not available"
    ward, borough = shown_values({"W": 0.6}, unit="share", detail="full", borough=0.4)
    assert (
        comparison(ward["W"], borough, unit="share", higher_is_better=True)
        == "Higher than the borough (better)"
    )
    assert (
        comparison(borough, ward["W"], unit="share", higher_is_better=False)
        == "Lower than the borough (better)"
    )


def test_a_count_is_compared_with_the_average_ward() -> None:
    rows = figure_rows([figure()], "W3", detail="full", threshold=10, ward_codes=["W1", "W2", "W3"])
    assert rows[0].borough.text == "18" and rows[0].borough_label == "Average ward"
    assert rows[0].comparison == "Higher than the average ward"


def test_table_cells_hide_small_counts_and_staff_only_words() -> None:
    count = TableColumn("n", "Residents", "count")
    words = TableColumn("why", "Why", "staff_text")
    assert table_cell(4, count, detail="suppressed", threshold=10) == "fewer than 10"
    assert table_cell(4, count, detail="full", threshold=10) == "4"
    assert table_cell("4 people", words, detail="suppressed", threshold=10) == (
        "shown to planners only"
    )
    assert (
        table_cell(True, TableColumn("w", "Wi-Fi", "yes_no"), detail="full", threshold=10) == "Yes"
    )


# --- registries ------------------------------------------------------------------------------


def test_providers_run_in_order_and_a_missing_table_or_domain_error_gives_nothing(
    session: Session,
) -> None:
    app = Flask(__name__)
    calls: list[str] = []

    def second(_session: Session) -> list[WardFigure]:
        calls.append("second")
        return [figure(key="second")]

    def first(_session: Session) -> list[WardFigure]:
        calls.append("first")
        return [figure(key="first")]

    def not_loaded(_session: Session) -> list[WardFigure]:
        raise DomainError("Load the survey first.")

    def never(_session: Session) -> list[WardFigure]:
        raise AssertionError("a provider whose table is missing is not called")

    figure_provider(app, "b", second, 20)
    figure_provider(app, "a", first, 10)
    figure_provider(app, "c", not_loaded, 30)
    figure_provider(app, "d", never, 40, tables=("no_such_table",))
    table_provider(
        app,
        "t",
        lambda _s: [
            WardTable(
                key="list",
                title="A list",
                section="venues",
                columns=(TableColumn("name", "Name"),),
                rows={"W1": [{"name": "Library"}]},
                source="Places",
                licence="ODbL",
                date=None,
            )
        ],
    )
    map_layer_provider(app, "m", lambda _s: [])
    collected = collect(app, session)
    assert calls == ["first", "second"]
    assert [f.key for f in collected.figures] == ["first", "second"]
    assert [t.key for t in collected.tables] == ["list"]
    notes = {note.provider: note.message for note in collected.notes}
    assert notes["c"] == "Load the survey first."
    assert "no_such_table" in notes["d"]
    assert collected.sections()["key"] and collected.figure("first") is not None


def test_the_data_version_changes_when_a_table_read_changes(session: Session) -> None:
    from app.places.models import Place

    app = Flask(__name__)
    before = data_version(app, session)
    session.add(Place(name="Hub", kind="library", x_m=1.0, y_m=2.0, lon=0.0, lat=51.0, source="t"))
    session.flush()
    after = data_version(app, session)
    assert before != after
    assert dict((name, rows) for name, rows, _ in after)["places"] == 1


def test_memo_builds_once_per_session(session: Session) -> None:
    built: list[int] = []
    for _ in range(3):
        memo(session, "x", lambda: built.append(1) or len(built))
    assert built == [1]
