"""The coverage stage, pages and downloads on the synthetic demo borough (built once per module).

The demo borough (``app.demo``) stores wards, LSOAs, premises, networks, places and mobile sites;
``app.coverage.load_demo`` adds its exchange, 145 street cabinets and the full fibre areas and runs
the coverage stage.  The Ofcom files written at the end of this module are synthetic too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.coverage import load_demo
from app.coverage.models import (
    AreaCoverage,
    AvailabilityLayerRecord,
    CoverageGap,
    FixedAsset,
    PremisesCoverage,
)
from app.demo import demo_borough, load_demo_borough
from app.places.models import Area, ModelRun, Premises
from geo.coverage.tiers import TIERS
from tests.app.coverage.conftest import client_as, geo
from tests.databases import Database
from tests.pages import parse

SEED = 2027


@pytest.fixture(scope="module")
def demo(module_app: Flask) -> Iterator[Flask]:
    with module_app.app_context():
        load_demo_borough(SEED, echo=lambda _message: None)
        messages: list[str] = []
        assert load_demo(seed=SEED, echo=messages.append) is True
        assert any("145 cabinets" in line for line in messages)
        # A second call leaves the demo as it is.
        assert load_demo(seed=SEED, echo=messages.append) is False
    yield module_app


@pytest.fixture(scope="module")
def planner(demo: Flask, database: Database) -> FlaskClient:
    return client_as(demo, database, "planner")


def count(database: Database, model: type, *where: object) -> int:
    with database.factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_demo_stores_the_exchange_cabinets_and_full_fibre(demo: Flask, database: Database) -> None:
    borough = demo_borough(SEED)
    assert count(database, FixedAsset, FixedAsset.kind == "cabinet") == len(borough.cabinets)
    assert count(database, FixedAsset, FixedAsset.kind == "exchange") == 1
    with database.factory() as session:
        layer = session.scalars(select(AvailabilityLayerRecord)).one()
    assert (layer.technology, layer.form, layer.feature_count) == ("fttp", "areas", 65)


def test_every_premises_gets_a_result_and_every_area_a_row(demo: Flask, database: Database) -> None:
    premises = count(database, Premises)
    assert count(database, PremisesCoverage) == premises > 50_000
    assert count(database, AreaCoverage, AreaCoverage.kind == "ward") == 18
    assert count(database, AreaCoverage, AreaCoverage.kind == "lsoa") == 100
    with database.factory() as session:
        wards = session.scalars(select(AreaCoverage).where(AreaCoverage.kind == "ward")).all()
        tiers = set(session.scalars(select(PremisesCoverage.tier).distinct()))
        full_fibre = session.scalar(
            select(func.count()).select_from(PremisesCoverage).where(PremisesCoverage.full_fibre)
        )
        run = session.scalars(select(ModelRun).where(ModelRun.kind == "coverage")).one()
    assert tiers <= set(TIERS)
    # The ward rows partition the premises, and tier counts add up in every ward.
    assert sum(ward.premises for ward in wards) == premises
    for ward in wards:
        assert sum(ward.premises_by_tier.values()) == ward.premises
        assert ward.premises_below_superfast == (
            ward.premises_by_tier["below_uso"] + ward.premises_by_tier["decent"]
        )
        assert 0.0 <= ward.share_good_4g_indoor_any <= 1.0
        assert ward.share_good_4g_indoor_all <= ward.share_good_4g_indoor_any
    # Full fibre: exactly the premises inside the demo's FTTP polygons.
    assert full_fibre == sum(ward.premises_full_fibre for ward in wards) == 23_015
    inputs = {item["layer"]: item for item in run.parameters["inputs"]}
    assert inputs["Street cabinets"]["count"] == 145
    assert run.parameters["vdsl_curve"] == "typical"
    assert run.summary["operators"] == ["EE", "O2", "Three", "Vodafone"]


def test_per_operator_signal_is_stored_for_each_premises(demo: Flask, database: Database) -> None:
    with database.factory() as session:
        text, good_any, good_all = session.execute(
            select(
                PremisesCoverage.rsrp_dbm,
                PremisesCoverage.good_4g_indoor_any,
                PremisesCoverage.good_4g_indoor_all,
            ).limit(1)
        ).one()
    signal = json.loads(text)
    assert signal["operators"] == ["EE", "O2", "Three", "Vodafone"]
    indoor = [value for value in signal["4g_indoor"] if value is not None]
    outdoor = [value for value in signal["4g_outdoor"] if value is not None]
    # Indoor is outdoor less the building entry loss, for every operator.
    assert all(i < o for i, o in zip(indoor, outdoor, strict=True))
    assert good_any == (max(indoor) >= -105.0)
    assert good_all == (len(indoor) == 4 and min(indoor) >= -105.0)


def test_gaps_are_ranked_by_residents_affected(demo: Flask, database: Database) -> None:
    with database.factory() as session:
        gaps = session.scalars(
            select(CoverageGap).where(CoverageGap.kind == "lsoa").order_by(CoverageGap.rank)
        ).all()
        no_indoor = session.scalar(
            select(func.sum(AreaCoverage.premises_no_indoor_4g)).where(AreaCoverage.kind == "lsoa")
        )
    assert [gap.rank for gap in gaps] == list(range(1, len(gaps) + 1))
    affected = [gap.residents_affected for gap in gaps]
    assert affected == sorted(affected, reverse=True) and affected[0] > 0
    assert sum(gap.premises_no_indoor_4g for gap in gaps) == no_indoor
    for gap in gaps:
        assert gap.premises_affected <= gap.premises
        assert gap.premises_affected >= max(gap.premises_below_uso, gap.premises_no_indoor_4g)


def test_the_ward_table_for_planners(planner: FlaskClient) -> None:
    page = parse(planner.get("/coverage/"))
    assert page.status == 200
    assert page.title.startswith("Broadband and mobile coverage by ward")
    assert page.h1 == "Broadband and mobile coverage by ward"
    captions = [c.get_text(strip=True) for c in page.soup.select("caption")]
    assert captions == [
        "Fixed broadband",
        "Premises in each broadband tier",
        "Residents in each broadband tier",
        "Mobile and public Wi-Fi (share of residents)",
    ]
    fixed = page.soup.select("table")[0].select("tbody tr")
    assert len(fixed) == 18
    link = fixed[0].select_one("th a")
    assert link is not None and link["href"].startswith("/coverage/wards/E059")
    assert "Marlbury Central" in page.text() and "<a" not in page.text()
    assert page.soup.find("a", href="/coverage/download/wards.gpkg") is not None


def test_a_ward_drills_down_to_its_lsoas(planner: FlaskClient, database: Database) -> None:
    with database.factory() as session:
        ward = session.scalars(select(Area).where(Area.kind == "ward").order_by(Area.code)).first()
        assert ward is not None
        lsoas = session.scalar(
            select(func.count()).select_from(Area).where(Area.ward_code == ward.code)
        )
    page = parse(planner.get(f"/coverage/wards/{ward.code}"))
    assert page.h1 == f"Coverage in {ward.name}"
    assert len(page.soup.select("table")[0].select("tbody tr")) == lsoas
    assert "Premises below the USO" in page.text()
    assert planner.get("/coverage/wards/E05000000").status_code == 404


def test_the_gap_list(planner: FlaskClient, database: Database) -> None:
    with database.factory() as session:
        worst = session.scalars(
            select(CoverageGap).where(CoverageGap.kind == "ward", CoverageGap.rank == 1)
        ).one()
        name = session.scalars(select(Area.name).where(Area.code == worst.code)).one()
    page = parse(planner.get("/coverage/gaps"))
    assert page.h1 == "Coverage gaps"
    first_row = page.soup.select("table")[0].select_one("tbody tr")
    assert first_row is not None
    assert first_row.get_text(" ", strip=True).startswith(f"1 {name}")
    assert f"{worst.residents_affected:,.0f}" in first_row.get_text(" ", strip=True)


def test_the_model_run_page_lists_inputs_and_unverified_assumptions(
    planner: FlaskClient,
) -> None:
    page = parse(planner.get("/coverage/model-run"))
    assert page.h1 == "Coverage model run"
    text = page.text()
    assert "Street cabinets" in text and "145" in text
    assert "Demo Borough (synthetic, seed 2027): cabinets (2027-01-01)" in text
    assert "UNVERIFIED" in text and "Choice" in text
    assert "Good 4G signal indoors" in text
    assert "3GPP TR 38.901 low-loss building" in text


def test_the_comparison_page_says_when_no_ofcom_data_is_imported(planner: FlaskClient) -> None:
    page = parse(planner.get("/coverage/reported"))
    assert page.h1 == "Modelled coverage against Ofcom's reported figures"
    assert "No Ofcom Connected Nations data has been imported" in page.text()


def test_councillors_see_only_the_suppressed_ward_table(demo: Flask, database: Database) -> None:
    councillor = client_as(demo, database, "councillor")
    page = parse(councillor.get("/coverage/"))
    assert page.h1 == "Broadband and mobile coverage by ward"
    assert "counts from 1 to 9 are not shown" in page.text()
    assert page.soup.find("a", href=lambda href: bool(href and "/download/" in href)) is None
    assert page.soup.find("a", href=lambda href: bool(href and "/coverage/wards/" in href)) is None
    rows = page.soup.select("tbody tr")
    assert len(rows) == 18
    # Demo wards have no premises below the USO: zero is shown, as ONS does.
    assert all(row.select("td")[1].get_text(strip=True) == "0" for row in rows)
    for path in ("/coverage/gaps", "/coverage/model-run", "/coverage/download/wards.csv"):
        assert councillor.get(path).status_code == 403
    champion = client_as(demo, database, "champion")
    assert champion.get("/coverage/").status_code == 403


def _notes(data: bytes) -> list[str]:
    """The leading note cells of a CSV download (each a single cell starting "# ")."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    notes = []
    for row in rows:
        if len(row) != 1 or not row[0].startswith("# "):
            break
        notes.append(row[0])
    return notes


def test_ward_csv_has_notes_and_escapes_formulae(planner: FlaskClient, database: Database) -> None:
    with database.factory() as session:
        code = session.scalars(select(Area.code).where(Area.kind == "ward")).first()
        old = session.scalars(select(Area.name).where(Area.code == code)).one()
        session.execute(update(Area).where(Area.code == code).values(name="=HYPERLINK(1)"))
        session.commit()
    try:
        response = planner.get("/coverage/download/wards.csv")
    finally:
        with database.factory() as session:
            session.execute(update(Area).where(Area.code == code).values(name=old))
            session.commit()
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=coverage-wards.csv"
    notes = _notes(response.data)
    assert notes[0].startswith("# Title: Broadband and mobile coverage by ward")
    assert any(
        note.startswith("# Source: Digital Inclusion Planner coverage model") for note in notes
    )
    assert any("Licence: Open Government Licence v3.0" in note for note in notes)
    table = pd.read_csv(io.BytesIO(response.data), skiprows=len(notes), encoding="utf-8-sig")
    assert len(table) == 18
    assert "'=HYPERLINK(1)" in set(table["name"])
    assert {"premises_below_uso", "share_good_4g_indoor_any", "premises_gigabit"} <= set(
        table.columns
    )


def test_ward_geojson_is_rfc7946(planner: FlaskClient) -> None:
    response = planner.get("/coverage/download/wards.geojson")
    document = json.loads(response.data)
    assert "crs" not in document
    assert document["metadata"]["licence"].startswith("Open Government Licence v3.0")
    frame = gpd.read_file(io.BytesIO(response.data))
    assert len(frame) == 18 and frame.crs.to_epsg() == 4326
    first = document["features"][0]["geometry"]
    ring = first["coordinates"][0] if first["type"] == "Polygon" else first["coordinates"][0][0]
    assert shapely.LinearRing(ring).is_ccw, "RFC 7946: exterior rings counter-clockwise"


def test_lsoa_geopackage_reads_back(planner: FlaskClient, tmp_path: Path) -> None:
    response = planner.get("/coverage/download/lsoas.gpkg")
    path = tmp_path / "lsoas.gpkg"
    path.write_bytes(response.data)
    frame = gpd.read_file(path)
    assert len(frame) == 100 and frame.crs.to_epsg() == 27700
    assert frame["premises"].sum() > 50_000
    assert frame["ward_code"].notna().all()


# --- Ofcom data (synthetic files for the synthetic borough) ----------------------------------


def test_ofcom_mobile_ratings_are_compared_per_ward(
    demo: Flask, planner: FlaskClient, database: Database, tmp_path: Path
) -> None:
    with database.factory() as session:
        references = list(session.scalars(select(Premises.reference).limit(400)))
    ratings = pd.DataFrame(
        {
            "UPRN": [*references, "123456789012"],
            # Ofcom's live ratings are 0, 3 and 4; EE "likely" indoors at every other address.
            "EEDataIndoor": [4 if i % 2 else 0 for i in range(len(references) + 1)],
            "VODataIndoor": 3,
        }
    )
    path = tmp_path / "synthetic_mobile_ratings.csv"
    ratings.to_csv(path, index=False)
    result = geo(demo, "import-ofcom", path, "--kind", "mobile", "--source-date", "2025-01-01")
    assert result.exit_code == 0, result.output
    assert "Loaded Ofcom mobile coverage for 400 addresses" in result.output
    assert "Rejected: 1 rows outside the loaded borough" in result.output
    page = parse(planner.get("/coverage/reported"))
    text = page.text()
    assert "Indoor 4G by ward" in text and "Whole borough" in text
    whole = next(row for row in page.soup.select("tbody tr") if "Whole borough" in row.get_text())
    cells = [cell.get_text(strip=True) for cell in whole.select("td")]
    assert cells[0] == "400"
    assert cells[1].endswith("/ 50%")  # reported: half the addresses "likely" (EE)


def test_ofcom_retired_ratings_are_refused(demo: Flask, tmp_path: Path) -> None:
    path = tmp_path / "old_ratings.csv"
    path.write_text("UPRN,EEDataIndoor\n900000000001,2\n")
    result = geo(demo, "import-ofcom", path, "--kind", "mobile")
    assert result.exit_code != 0
    assert "row 1" in result.output and "EEDataIndoor" in result.output
    assert "retired" in result.output and "Nothing was stored." in result.output


def test_ofcom_fixed_postcodes_compared_through_a_postcode_lookup(
    demo: Flask, planner: FlaskClient, database: Database, tmp_path: Path
) -> None:
    with database.factory() as session:
        lsoas = list(
            session.scalars(select(Area.code).where(Area.kind == "lsoa").order_by(Area.code))
        )
    # Two made-up postcodes per LSOA; every LSOA reported 40% unable to get 30 Mbit/s.
    postcodes = [f"DB{i // 10 + 1} {i % 10}AA" for i in range(2 * len(lsoas))]
    lookup = pd.DataFrame({"pcds": postcodes, "lsoa21cd": [c for c in lsoas for _ in (0, 1)]})
    coverage = pd.DataFrame(
        {
            "postcode": [*postcodes, "ZZ9 9ZZ"],
            "All Premises": 10,
            "SFBB availability (% premises)": 60.0,
            "% of premises unable to receive 30Mbit/s": 40.0,
            "Full Fibre availability (% premises)": 50.0,
        }
    )
    coverage_path = tmp_path / "synthetic_fixed_postcode_coverage_r01.csv"
    lookup_path = tmp_path / "synthetic_onspd.csv"
    coverage.to_csv(coverage_path, index=False)
    lookup.to_csv(lookup_path, index=False)
    refused = geo(demo, "import-ofcom", coverage_path, "--kind", "fixed")
    assert refused.exit_code != 0 and "--postcode-lookup" in refused.output
    result = geo(
        demo, "import-ofcom", coverage_path, "--kind", "fixed", "--postcode-lookup", lookup_path
    )
    assert result.exit_code == 0, result.output
    assert f"for {2 * len(lsoas)} postcodes" in result.output
    assert "Rejected: 1 rows" in result.output
    page = parse(planner.get("/coverage/reported"))
    captions = [c.get_text(strip=True) for c in page.soup.select("caption")]
    assert "By ward" in captions and "By LSOA" in captions
    lsoa_table = page.soup.select("table")[captions.index("By LSOA")]
    rows = lsoa_table.select("tbody tr")
    assert len(rows) == 100
    cells = [cell.get_text(strip=True) for cell in rows[0].select("td")]
    assert cells[1].endswith("/ 40%") and cells[3].endswith("/ 50%")
    # Modelled figure: the share of the LSOA's premises below 30 Mbit/s.
    with database.factory() as session:
        first = session.scalars(
            select(AreaCoverage).where(AreaCoverage.kind == "lsoa", AreaCoverage.code == lsoas[0])
        ).one()
    name = page.soup.select("table")[captions.index("By LSOA")].select_one("tbody tr th")
    assert name is not None
    expected = first.premises_below_superfast / first.premises
    assert cells[1].startswith(f"{expected * 100:.0f}%")
    assert np.isfinite(expected)


def test_the_exclusion_index_takes_its_broadband_component_from_coverage(demo: Flask) -> None:
    from app.coverage.services import broadband_by_lsoa21
    from app.database import db_session
    from app.surveys.areas import broadband_by_lsoa

    with demo.app_context():
        direct = broadband_by_lsoa21(db_session())
        through_surveys = broadband_by_lsoa(db_session())
    assert direct is not None and through_surveys is not None
    assert len(through_surveys) == len(direct) > 0
    shares = through_surveys["share_below_30mbps"]
    assert ((shares >= 0) & (shares <= 1)).all()
    assert (through_surveys["share_below_uso"] <= shares + 1e-9).all()
