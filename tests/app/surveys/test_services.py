"""Survey services on the database: responses, contact consent, index inputs across vintages."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.errors import DomainError
from surveys.importing import SurveyImportError
from surveys.models import SurveyResponse
from surveys.services import (
    AreaContext,
    ContactDetails,
    ages_from_population,
    exclusion_index_view,
    imd_deciles_by_lsoa21,
    index_spec_for,
    lsoa_pairs,
    rescore_all,
    store_imd,
    store_lsoa_links,
    store_response,
)
from tests.app.surveys.helpers import BANDS, LSOA_WARD, WARDS, population
from tests.surveys.factories import offline_answers, online_answers

CONTEXT = AreaContext(ward_codes=frozenset(WARDS))


def _ages() -> pd.DataFrame:
    return ages_from_population({code: population(code) for code in LSOA_WARD})


def test_ages_are_read_from_census_labels_in_any_case() -> None:
    records = {
        "A": {label.upper(): 10 for label in BANDS},
        "B": {BANDS[0]: 5},  # incomplete: left out
        "C": None,
    }
    ages = ages_from_population(records)
    assert list(ages.index) == ["A"]
    assert ages.loc["A", "adults"] == 50 and ages.loc["A", "total"] == 60


def test_contact_details_need_consent_and_a_way_to_reach_the_person(session: Session) -> None:
    answers = offline_answers(ward_code="E05900001", consent_follow_up="no")
    with pytest.raises(DomainError, match="agrees to be contacted"):
        store_response(
            session,
            answers,
            source="online",
            areas=CONTEXT,
            now=now_utc(),
            contact=ContactDetails(email="someone@example.org"),
        )
    with pytest.raises(DomainError, match="email address or a phone number"):
        store_response(
            session,
            {**answers, "consent_follow_up": "yes"},
            source="online",
            areas=CONTEXT,
            now=now_utc(),
            contact=ContactDetails(name="No Details"),
        )
    assert session.scalars(select(SurveyResponse)).first() is None


def test_an_impossible_online_answer_is_refused_like_an_import(session: Session) -> None:
    answers = offline_answers(ward_code="E05900001", fnd_wifi="alone")
    with pytest.raises(SurveyImportError) as caught:
        store_response(session, answers, source="online", areas=CONTEXT, now=now_utc())
    assert [problem.column for problem in caught.value.problems] == ["fnd_wifi"]


def test_two_people_who_answer_alike_are_both_kept(session: Session) -> None:
    answers = online_answers(ward_code="E05900002")
    first = store_response(session, answers, source="online", areas=CONTEXT, now=now_utc())
    second = store_response(session, answers, source="champion", areas=CONTEXT, now=now_utc())
    assert first.content_hash != second.content_hash
    assert first.persona_name == second.persona_name == "Techy Terry"
    assert first.scores["eds_work"] is True and first.scores["gds_label"] == "Expert"
    assert rescore_all(session, now=now_utc()) == 2


def test_stored_lsoa_links_come_before_same_code_pairs(session: Session) -> None:
    now = now_utc()
    # 2011 LSOA E01000001 was split into the 2021 LSOAs E01900001 and E01900002.
    store_lsoa_links(
        session,
        pd.DataFrame(
            {"LSOA11CD": ["E01000001", "E01000001"], "LSOA21CD": ["E01900001", "E01900002"]}
        ),
        method="lookup",
        filename="lookup.csv",
        file_hash=None,
        now=now,
    )
    imd = pd.DataFrame(
        {
            "imd_rank": [100, 9000, 20000, 30000, 25000],
            "imd_decile": [1, 3, 7, 10, 8],
            "income_rank": [200, 8000, 21000, 29000, 24000],
            "LSOA11NM": ["Old 1", "Old 3", "Old 4", "Old 5", "Old 6"],
        },
        index=pd.Index(
            ["E01000001", "E01900003", "E01900004", "E01900005", "E01900006"], name="LSOA11CD"
        ),
    )
    assert store_imd(session, imd, filename="imd.csv", file_hash=None, now=now) == 5
    pairs, unmatched = lsoa_pairs(session, list(LSOA_WARD), list(imd.index))
    assert sorted(map(tuple, pairs.to_numpy().tolist())) == [
        ("E01000001", "E01900001"),
        ("E01000001", "E01900002"),
        ("E01900003", "E01900003"),
        ("E01900004", "E01900004"),
        ("E01900005", "E01900005"),
        ("E01900006", "E01900006"),
    ]
    assert unmatched == ()
    deciles = imd_deciles_by_lsoa21(session, list(LSOA_WARD))
    assert deciles.to_dict() == {
        "E01900001": 1,
        "E01900002": 1,
        "E01900003": 3,
        "E01900004": 7,
        "E01900005": 10,
        "E01900006": 8,
    }

    ages = _ages()
    broadband = pd.DataFrame(
        {"share_below_30mbps": [0.0, 1.0, 0.2, 0.2, 0.2, 0.2]}, index=list(LSOA_WARD)
    )
    view = exclusion_index_view(
        session, ages=ages, lsoa_ward=pd.Series(LSOA_WARD), broadband=broadband
    )
    assert list(view.inputs.index) == [
        "E01000001",
        "E01900003",
        "E01900004",
        "E01900005",
        "E01900006",
    ]
    # The split LSOA's people are both children's; its broadband is their population mean.
    people = ages.loc[["E01900001", "E01900002"], "total"]
    assert view.inputs.loc["E01000001", "population"] == pytest.approx(people.sum())
    assert view.inputs.loc["E01000001", "share_below_30mbps"] == pytest.approx(
        people.iloc[1] / people.sum()
    )
    assert view.has_broadband
    assert view.lsoas.loc["E01000001", "ward_code"] == "E05900001"
    assert view.lsoas.loc["E01000001", "name"] == "Old 1"
    assert set(view.wards.index) == set(WARDS)
    assert view.wards["population"].sum() == pytest.approx(ages["total"].sum())


def test_reloading_the_imd_replaces_its_values(session: Session) -> None:
    now = now_utc()
    index = pd.Index(["E01900001"], name="LSOA11CD")
    store_imd(
        session,
        pd.DataFrame({"imd_rank": [10], "imd_decile": [1]}, index=index),
        filename="a.csv",
        file_hash=None,
        now=now,
    )
    store_imd(
        session,
        pd.DataFrame({"imd_rank": [32000], "imd_decile": [10]}, index=index),
        filename="b.csv",
        file_hash=None,
        now=now,
    )
    assert imd_deciles_by_lsoa21(session, ["E01900001"]).tolist() == [10]


def test_only_deciles_stand_in_for_deprivation_with_a_note() -> None:
    spec = index_spec_for(["share_65_plus", "imd_decile"])
    assert [component.key for component in spec.components] == ["demography", "deprivation"]
    assert spec.components[1].indicators[0].column == "imd_decile"
    assert any("IMD decile stands in" in note for note in spec.notes)
    ranks = index_spec_for(["share_65_plus", "imd_rank", "imd_decile"])
    assert [i.column for i in ranks.components[1].indicators] == ["imd_rank"]


def test_stored_estimates_equal_the_domain_estimates_from_the_answers(session: Session) -> None:
    from surveys.estimates import estimate_personas_and_barriers, population_cells
    from surveys.importing import read_responses
    from surveys.personas import assign_personas
    from surveys.scoring import score_responses
    from surveys.services import estimate_areas, import_responses
    from tests.app.surveys.helpers import survey_csv

    data = survey_csv(250)
    import_responses(session, data, areas=CONTEXT, now=now_utc())
    ages = _ages()
    stored = estimate_areas(session, level="ward", ages=ages, lsoa_ward=pd.Series(LSOA_WARD))
    codes = read_responses(data, known_ward_codes=set(WARDS), postcode_to_ward=None).responses
    scored = score_responses(codes)
    direct = estimate_personas_and_barriers(
        scored,
        assign_personas(scored),
        population_cells(ages, area_of=pd.Series(LSOA_WARD), area_name="ward_code"),
        area_column="ward_code",
        persona_keys=stored.persona_keys,
    )
    assert stored.respondents_used == 250
    pd.testing.assert_series_equal(
        stored.table["share"], direct["share"], check_names=False, check_index=False
    )
    assert stored.table["outcome"].tolist() == direct["outcome"].tolist()
