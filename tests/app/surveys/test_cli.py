"""``flask --app app surveys ...``: import, template, index inputs and the DERI comparison."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from surveys.models import IndexInputRecord, LsoaLinkRecord, SurveyResponse
from surveys.questions import csv_template_columns
from tests.app.surveys.helpers import store_areas, survey_csv
from tests.databases import Database
from tests.shared_data import SHARED_DATA
from tests.surveys.factories import csv_bytes, online_answers

RUTLAND = SHARED_DATA / "rutland"
RHO = re.compile(r"Spearman rank correlation with DERI v1\.6 .* over (\d+) LSOAs: (-?[0-9.]+)")


def run(app: Flask, *args: str | Path) -> Result:
    return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


def surveys(app: Flask, *args: str | Path) -> Result:
    return run(app, "surveys", *args)


def _responses(db: Database) -> int:
    with db.factory() as session:
        return session.scalar(select(func.count()).select_from(SurveyResponse)) or 0


def test_template_is_written_to_a_file_or_printed(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "template.csv"
    result = surveys(app, "template", target)
    assert result.exit_code == 0, result.output
    assert f"Wrote the import template to {target}." in result.output
    header = target.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == csv_template_columns()
    printed = surveys(app, "template")
    assert printed.output.splitlines()[0].split(",") == csv_template_columns()


def test_import_prints_what_it_stored_and_does_not_duplicate(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    with db.factory() as session:
        store_areas(session)
    path = tmp_path / "export.csv"
    path.write_bytes(survey_csv(80))
    first = surveys(app, "import", path)
    assert first.exit_code == 0, first.output
    assert "Stored 80 new responses from export.csv (0 already imported; 80 rows" in first.output
    second = surveys(app, "import", path)
    assert "Stored 0 new responses from export.csv (80 already imported" in second.output
    assert _responses(db) == 80


def test_import_prints_every_problem_and_stores_nothing(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    with db.factory() as session:
        store_areas(session)
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(
            [
                online_answers(ward_code="E05900001", age_band="ancient"),
                online_answers(ward_code="E05900001"),
                online_answers(ward_code="E05900002", online_frequency="hourly"),
            ]
        )
    )
    result = surveys(app, "import", path)
    assert result.exit_code != 0
    assert "bad.csv: 2 problems found:" in result.output
    assert "row 2, column age_band: unknown answer 'ancient'" in result.output
    assert "row 4, column online_frequency: unknown answer 'hourly'" in result.output
    assert "Nothing was imported." in result.output
    assert _responses(db) == 0


def test_load_index_inputs_needs_a_file(app: Flask) -> None:
    result = surveys(app, "load-index-inputs")
    assert result.exit_code != 0
    assert "Give at least one of --imd, --dpi" in result.output


def test_a_wrong_file_is_refused_by_name(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "imd.csv"
    bad.write_text("a,b\n1,2\n")
    result = surveys(app, "load-index-inputs", "--imd", bad)
    assert result.exit_code != 0
    assert "imd.csv" in result.output and "Nothing was stored." in result.output


def test_compare_deri_says_what_to_load_first(app: Flask) -> None:
    result = surveys(app, "compare-deri", RUTLAND / "rutland_deri_v1.6_depahri_lsoa11.csv")
    assert result.exit_code != 0
    assert "No census population is stored" in result.output


def _load_rutland(app: Flask) -> None:
    for args in (
        ("geo", "import-areas", RUTLAND / "rutland_wards_2023.geojson"),
        ("geo", "import-areas", RUTLAND / "rutland_lsoa2021.geojson"),
        ("geo", "import-population", RUTLAND / "rutland_population_age_lsoa.csv"),
    ):
        result = run(app, *args)
        assert result.exit_code == 0, result.output


@pytest.mark.realdata
def test_rutland_index_agrees_with_deri(app: Flask, db: Database) -> None:
    _load_rutland(app)
    result = surveys(
        app,
        "load-index-inputs",
        "--imd",
        RUTLAND / "rutland_imd2019_domains_lsoa11.csv",
        "--dpi",
        RUTLAND / "rutland_digital_propensity_index_lsoa11.csv",
        "--lsoa11-boundaries",
        RUTLAND / "rutland_lsoa2011.geojson",
    )
    assert result.exit_code == 0, result.output
    assert "IMD 2019: 23 LSOAs (2011)" in result.output
    assert "Digital Propensity Index: 23 LSOAs (2011)" in result.output
    assert "26 stored LSOAs (2021) paired with their 2011 LSOA" in result.output
    with db.factory() as session:
        links = session.execute(
            select(LsoaLinkRecord.lsoa11_code, LsoaLinkRecord.lsoa21_code)
        ).all()
        assert session.scalar(select(func.count()).select_from(IndexInputRecord)) == 23
    # The split 2011 LSOA Rutland 002C has three 2021 children.
    assert sorted(new for old, new in links if old == "E01013801") == [
        "E01035102",
        "E01035103",
        "E01035104",
    ]
    compared = surveys(app, "compare-deri", RUTLAND / "rutland_deri_v1.6_depahri_lsoa11.csv")
    assert compared.exit_code == 0, compared.output
    print(compared.output)
    match = RHO.search(compared.output)
    assert match is not None
    assert int(match.group(1)) == 23
    assert float(match.group(2)) > 0
    assert "Rutland 002C" in compared.output
    assert "Broadband: no broadband input was given" in compared.output


@pytest.mark.realdata
def test_hounslow_index_agrees_with_deri(app: Flask, db: Database) -> None:
    for args in (
        ("geo", "import-areas", SHARED_DATA / "hounslow_wards_2023.geojson"),
        ("geo", "import-areas", SHARED_DATA / "boundaries" / "hounslow_lsoa2021.geojson"),
        (
            "geo",
            "import-population",
            SHARED_DATA / "census2021" / "census2021_age6_lsoa21_target_lads_wide.csv",
        ),
    ):
        result = run(app, *args)
        assert result.exit_code == 0, result.output
    result = surveys(
        app,
        "load-index-inputs",
        "--imd",
        SHARED_DATA / "deprivation" / "imd2019_domains_target_lads.csv",
        "--dpi",
        SHARED_DATA / "digital_exclusion" / "digital_propensity_index_lsoa11_target_lads.csv",
        "--lsoa11-boundaries",
        SHARED_DATA / "boundaries_2011" / "hounslow_lsoa2011.geojson",
    )
    assert result.exit_code == 0, result.output
    assert "150 stored LSOAs (2021) paired" in result.output
    compared = surveys(
        app,
        "compare-deri",
        SHARED_DATA / "digital_exclusion" / "deri_v1.6_depahri_lsoa11_target_lads.csv",
    )
    assert compared.exit_code == 0, compared.output
    print(compared.output.splitlines()[-1])
    match = RHO.search(compared.output)
    assert match is not None
    assert int(match.group(1)) == 142  # every Hounslow LSOA (2011); other boroughs not loaded
    assert float(match.group(2)) > 0
    assert "Hillingdon" not in compared.output


@pytest.mark.realdata
def test_the_ons_lookup_pairs_lsoas_as_well_as_the_boundaries(app: Flask, db: Database) -> None:
    _load_rutland(app)
    lookup = SHARED_DATA / "lookups" / "lsoa11_to_lsoa21_to_lad22_target_lads.csv"
    result = surveys(app, "load-index-inputs", "--lookup", lookup)
    assert result.exit_code == 0, result.output
    assert "LSOA 2011 to 2021 lookup: 453 pairs" in result.output
