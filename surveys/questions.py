"""The published question set and data dictionary of the residents' digital lives survey.

Version ``2026.1``.  The question set is short and standard, so a council's results can be
compared with national benchmarks:

* **Essential Digital Skills (EDS) framework** (Department for Education, 2018; updated 2022), in
  the plain-English task wording used by the Lloyds Consumer Digital Index: the 8 Foundation
  tasks, 4 Life tasks in each of the 5 skill areas (Communicating; Handling information and
  content; Transacting; Problem solving; Being safe and legal online) and a short Work block of one
  task per area.  The full framework has 20 Work tasks; see :mod:`surveys.scoring` for how the
  short block is scored.
* **Access**: devices (smartphone, tablet, laptop or desktop computer; own or shared), home
  connection (broadband, mobile data only, none) and mobile data.
* **Use**: how often the person goes online, whether they ever have, the device they mostly use,
  and their confidence (5 points).
* **Barriers**: what stops them going online, or going online more (skills, cost, access,
  motivation, trust and safety, health or disability), asked of everyone who is not online daily.
* **About you**: age band (Census 2021 adult bands, with 65-74 and 75+ kept apart because the
  exclusion index uses them; both map to the census band 65+ for weighting), disability (the
  Census 2021 question), preferred language.
* **Where**: postcode or ward code (at least one), and optionally the LSOA 2021 code.
* **Follow-up**: whether they would like help to learn (willing to learn), and consent to be
  contacted again.

Each question has an id, a CSV column, text, hint, answer codes with labels, whether it is
required when it applies, and a routing rule (``applies(answers)``): nobody who never goes online
is asked the skills questions.  The routing rules are declarative :class:`Condition` objects, so
the same rule is evaluated for one person (``applies``), for a whole table (``applies_frame``) and
written out in words for the data dictionary.

Answers are stored as codes (short, stable, lower case).  An import may give either the code or
the label; see :func:`Question.code_for`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

QUESTION_SET_VERSION = "2026.1"
"""Version of the question set; stored with every import so answers can be read correctly later."""

Answers = Mapping[str, str | None]
"""One person's answers: CSV column name -> answer code (``None`` or absent when not answered)."""

QuestionKind = Literal["choice", "postcode", "ward_code", "lsoa_code", "text"]

MISSING_TOKENS = frozenset({"", "-", "n/a", "na", "null", "#n/a", "nan", "none given"})
"""Cell texts taken as "not answered" (survey tools write blanks in several ways)."""


_FOLDS: dict[int, str] = {
    ord("\u2018"): "'",
    ord("\u2019"): "'",
    ord("\u2013"): "-",
    ord("\u2014"): "-",
    ord("\u00a0"): " ",
}


def normalise_text(text: str) -> str:
    """Return text folded for matching answers: trimmed, lower case, plain quotes and hyphens.

    ``"I can’t do this"`` and ``"i can't  do this"`` both become ``"i can't do this"``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.translate(_FOLDS)
    return re.sub(r"\s+", " ", folded).strip()


@dataclass(frozen=True)
class Answer:
    """One allowed answer: a stable ``code`` stored in the database, and the ``label`` people see.

    ``aliases`` are other texts accepted on import (for example ``"1"`` or ``"TRUE"`` for yes).
    """

    code: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    """A routing condition on one earlier answer.

    ``op`` is ``"in"`` (the answer is one of ``values``) or ``"not_in"`` (answered, and not one of
    ``values``).  An unanswered question never satisfies a condition, so follow-on questions are
    only asked once the question they depend on has an answer.
    """

    column: str
    op: Literal["in", "not_in"]
    values: tuple[str, ...]

    def holds(self, answers: Answers) -> bool:
        """Return whether the condition holds for one person's answers (codes)."""
        value = answers.get(self.column)
        if value is None or value == "":
            return False
        return (value in self.values) if self.op == "in" else (value not in self.values)

    def holds_frame(self, codes: pd.DataFrame) -> pd.Series:
        """Return, for each row of a table of answer codes, whether the condition holds."""
        column = codes[self.column]
        inside = column.isin(self.values)
        result = inside if self.op == "in" else column.notna() & ~inside
        return pd.Series(result.to_numpy(dtype=bool), index=codes.index, name=self.column)


@dataclass(frozen=True)
class Question:
    """One survey question and its CSV column.

    ``required`` means an answer is needed whenever the question applies (see ``routing``).
    """

    id: str
    column: str
    section: str
    text: str
    hint: str
    kind: QuestionKind
    answers: tuple[Answer, ...] = ()
    required: bool = False
    routing: tuple[Condition, ...] = ()
    routing_text: str = "Everyone"
    _lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for answer in self.answers:
            for text in (answer.code, answer.label, *answer.aliases):
                key = normalise_text(text)
                if lookup.get(key, answer.code) != answer.code:
                    raise ValueError(f"{self.id}: {text!r} would match two answers")
                lookup[key] = answer.code
        object.__setattr__(self, "_lookup", lookup)

    @property
    def codes(self) -> tuple[str, ...]:
        """The allowed answer codes, in the order they are shown."""
        return tuple(answer.code for answer in self.answers)

    @property
    def labels(self) -> tuple[str, ...]:
        """The answer labels, in the same order as :attr:`codes`."""
        return tuple(answer.label for answer in self.answers)

    def label_for(self, code: str) -> str:
        """Return the label of an answer code."""
        for answer in self.answers:
            if answer.code == code:
                return answer.label
        raise KeyError(f"{self.column}: no answer with code {code!r}")

    def code_for(self, text: str) -> str | None:
        """Return the answer code for a code, label or alias given in any case, or ``None``."""
        return self._lookup.get(normalise_text(text))

    @property
    def lookup(self) -> Mapping[str, str]:
        """Folded text (see :func:`normalise_text`) -> answer code, for vectorised mapping."""
        return self._lookup

    @property
    def parents(self) -> tuple[str, ...]:
        """The columns this question's routing depends on."""
        return tuple(dict.fromkeys(condition.column for condition in self.routing))

    def applies(self, answers: Answers) -> bool:
        """Return whether this question is asked of a person with these answers (codes)."""
        return all(condition.holds(answers) for condition in self.routing)

    def applies_frame(self, codes: pd.DataFrame) -> pd.Series:
        """Return, for each row of a table of answer codes, whether this question is asked."""
        result = pd.Series(True, index=codes.index, name=self.column)
        for condition in self.routing:
            result &= condition.holds_frame(codes)
        return result


@dataclass(frozen=True)
class ConsistencyRule:
    """A combination of answers that cannot all be true for one person.

    The rule is broken when every condition in ``when`` holds; the problem is reported against
    ``column`` with ``reason``.
    """

    id: str
    column: str
    when: tuple[Condition, ...]
    reason: str

    def broken(self, answers: Answers) -> bool:
        """Return whether one person's answers break the rule."""
        return all(condition.holds(answers) for condition in self.when)

    def broken_frame(self, codes: pd.DataFrame) -> pd.Series:
        """Return, for each row of a table of answer codes, whether the rule is broken."""
        result = pd.Series(True, index=codes.index, name=self.id)
        for condition in self.when:
            result &= condition.holds_frame(codes)
        return result


@dataclass(frozen=True)
class DictionaryRow:
    """One row of the data dictionary (one CSV column)."""

    question_id: str
    column: str
    section: str
    text: str
    hint: str
    type: str
    required: bool
    allowed_codes: tuple[str, ...]
    labels: tuple[str, ...]
    routing: str


# -- answer lists -------------------------------------------------------------------------------

YES_NO = (
    Answer("yes", "Yes", ("y", "1", "true", "ticked", "x")),
    Answer("no", "No", ("n", "0", "false", "not ticked")),
)
TASK = (
    Answer("alone", "Yes, I can do this on my own", ("yes", "on my own", "i can do this")),
    Answer("help", "Only with help", ("with help", "i could do this with help")),
    Answer("cannot", "No, I can't do this", ("no", "i can't do this", "cannot")),
)
WORK_TASK = (*TASK, Answer("not_applicable", "This does not apply to me", ("does not apply",)))
DEVICE = (
    Answer("own", "Yes, my own", ("own", "yes - my own")),
    Answer("shared", "Yes, shared with others in my home", ("shared", "yes - shared")),
    Answer("none", "No", ("no",)),
)
AGE_BANDS = (
    Answer("16-24", "16 to 24"),
    Answer("25-34", "25 to 34"),
    Answer("35-49", "35 to 49"),
    Answer("50-64", "50 to 64"),
    Answer("65-74", "65 to 74"),
    Answer("75+", "75 or over", ("75 and over", "75 plus", "75 or older")),
    Answer("prefer_not", "Prefer not to say", ("prefer not to answer",)),
)
FREQUENCY = (
    Answer("daily", "Every day or almost every day", ("every day", "daily")),
    Answer("weekly", "At least once a week, but not every day", ("weekly", "at least weekly")),
    Answer("monthly", "At least once a month, but not every week", ("monthly",)),
    Answer("less_than_monthly", "Less than once a month", ("rarely",)),
    Answer("never", "Never", ("i never go online",)),
)
CONFIDENCE = (
    Answer("very", "Very confident", ("5",)),
    Answer("fairly", "Fairly confident", ("4",)),
    Answer("neither", "Neither confident nor unconfident", ("3", "neutral")),
    Answer("not_very", "Not very confident", ("2",)),
    Answer("not_at_all", "Not at all confident", ("1",)),
)

# -- routing ------------------------------------------------------------------------------------

ONLINE = Condition("online_frequency", "not_in", ("never",))
NEVER_ONLINE = Condition("online_frequency", "in", ("never",))
NOT_DAILY = Condition("online_frequency", "not_in", ("daily",))
HAS_SMARTPHONE = Condition("device_smartphone", "in", ("own", "shared"))
ONLINE_TEXT = "People who go online (online_frequency is not 'never')"

FOUNDATION_TASKS: tuple[tuple[str, str], ...] = (
    ("fnd_turn_on", "Turn on a device and sign in, for example with a password or passcode"),
    ("fnd_controls", "Use the controls on a device: a mouse and keyboard, or a touch screen"),
    (
        "fnd_accessibility",
        "Change settings to make a device easier to use, for example bigger text",
    ),
    ("fnd_apps", "Find, open and close apps or programs"),
    ("fnd_wifi", "Connect a device to a Wi-Fi network"),
    ("fnd_browser", "Open a web browser and go to a website"),
    ("fnd_passwords", "Keep your passwords and sign-in details private and secure"),
    ("fnd_change_password", "Change a password when you are asked to"),
)
"""The 8 EDS Foundation tasks: (column, task in plain English)."""

LIFE_AREAS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "communicating": (
        "Communicating",
        (
            ("life_com_messages", "Send and reply to messages by email or apps such as WhatsApp"),
            ("life_com_video", "Make a video call, for example with WhatsApp, FaceTime or Zoom"),
            ("life_com_social", "Post messages, photos or videos on social media"),
            ("life_com_share", "Send someone a document, photo or link online"),
        ),
    ),
    "handling_information": (
        "Handling information and content",
        (
            ("life_inf_search", "Use a search engine, such as Google, to find information"),
            ("life_inf_trust", "Tell whether a website or information online can be trusted"),
            (
                "life_inf_store",
                "Save photos or documents and find them again, on a device or online",
            ),
            (
                "life_inf_stream",
                "Watch or listen to things online, for example BBC iPlayer or YouTube",
            ),
        ),
    ),
    "transacting": (
        "Transacting",
        (
            ("life_tra_buy", "Buy things or pay for services online"),
            ("life_tra_bank", "Manage your money online, for example with online banking"),
            ("life_tra_forms", "Fill in forms online, for example for the council or benefits"),
            ("life_tra_account", "Set up an account online, for example with a shop or service"),
        ),
    ),
    "problem_solving": (
        "Problem solving",
        (
            (
                "life_prb_fix",
                "Solve a problem with a device or service using online help or videos",
            ),
            ("life_prb_learn", "Learn something new online, for example with a course or tutorial"),
            ("life_prb_compare", "Compare prices or options online before you choose"),
            ("life_prb_health", "Use online services for your health, for example the NHS App"),
        ),
    ),
    "safe_and_legal": (
        "Being safe and legal online",
        (
            ("life_saf_scams", "Spot and avoid scam emails, texts and suspicious links"),
            ("life_saf_privacy", "Manage privacy settings and be careful what you share online"),
            (
                "life_saf_updates",
                "Keep a device secure, for example with updates and a screen lock",
            ),
            ("life_saf_legal", "Know that not everything online can be copied or shared freely"),
        ),
    ),
}
"""The 5 EDS Life skill areas: key -> (name, ((column, task), ...))."""

WORK_TASKS: dict[str, tuple[str, str]] = {
    "communicating": (
        "work_com",
        "At work, use email, messaging or video calls to work with others",
    ),
    "handling_information": (
        "work_inf",
        "At work, store, find and share files, for example in a shared folder online",
    ),
    "transacting": (
        "work_tra",
        "At work, use online systems, for example for timesheets, expenses or payslips",
    ),
    "problem_solving": ("work_prb", "At work, use online help or training to learn a new tool"),
    "safe_and_legal": (
        "work_saf",
        "At work, follow the rules for keeping information safe and report suspicious emails",
    ),
}
"""One EDS Work task per skill area: area key -> (column, task)."""

BARRIERS: dict[str, str] = {
    "barrier_skills": "I don't know how, or I find it too hard",
    "barrier_cost": "It costs too much (a device, broadband or mobile data)",
    "barrier_access": "I don't have a suitable device or internet connection",
    "barrier_motivation": "I'm not interested, or I don't need to",
    "barrier_trust": "I'm worried about scams, safety or privacy",
    "barrier_health": "A health condition or disability makes it hard",
}
"""Reasons for not going online (more): column -> label."""


def _task_hint(area: str) -> str:
    return f"EDS {area}. Choose 'on my own' only if you could do it today without anyone's help."


def _build_questions() -> tuple[Question, ...]:
    questions: list[Question] = [
        Question(
            "LOC1",
            "postcode",
            "Where you live",
            "What is your postcode?",
            "We use it only to find your ward and neighbourhood. Give this or your ward.",
            "postcode",
        ),
        Question(
            "LOC2",
            "ward_code",
            "Where you live",
            "Ward code",
            "The ONS code of the ward you live in, for example E05013606. Give this or a postcode.",
            "ward_code",
        ),
        Question(
            "LOC3",
            "lsoa21_code",
            "Where you live",
            "Neighbourhood (LSOA 2021) code",
            "Filled in by the council from the postcode if your survey tool can do it.",
            "lsoa_code",
        ),
        Question(
            "ABT1",
            "age_band",
            "About you",
            "How old are you?",
            "We ask so that the results can be weighted to match the people who live here.",
            "choice",
            AGE_BANDS,
            required=True,
        ),
        Question(
            "ABT2",
            "disability",
            "About you",
            "Are your day-to-day activities limited because of a health problem or disability "
            "which has lasted, or is expected to last, at least 12 months?",
            "Include problems related to old age.",
            "choice",
            (
                Answer("yes_lot", "Yes, limited a lot", ("yes, a lot",)),
                Answer("yes_little", "Yes, limited a little", ("yes, a little",)),
                Answer("no", "No"),
                Answer("prefer_not", "Prefer not to say"),
            ),
        ),
        Question(
            "ABT3",
            "language",
            "About you",
            "Which language would you prefer us to use?",
            "So that help can be offered in your language.",
            "choice",
            (
                Answer("english", "English"),
                Answer("welsh", "Welsh (Cymraeg)", ("welsh", "cymraeg")),
                Answer("bsl", "British Sign Language", ("british sign language (bsl)",)),
                Answer("polish", "Polish"),
                Answer("punjabi", "Punjabi"),
                Answer("urdu", "Urdu"),
                Answer("gujarati", "Gujarati"),
                Answer("tamil", "Tamil"),
                Answer("bengali", "Bengali"),
                Answer("arabic", "Arabic"),
                Answer("somali", "Somali"),
                Answer("romanian", "Romanian"),
                Answer("other", "Another language"),
            ),
        ),
    ]
    for number, (column, name) in enumerate(
        (
            ("device_smartphone", "a smartphone"),
            ("device_tablet", "a tablet, such as an iPad"),
            ("device_computer", "a laptop or desktop computer"),
        ),
        start=1,
    ):
        questions.append(
            Question(
                f"DEV{number}",
                column,
                "Devices",
                f"Do you have {name} you can use?",
                "Count a device that works, even if someone else in your home owns it.",
                "choice",
                DEVICE,
                required=True,
            )
        )
    questions += [
        Question(
            "CON1",
            "home_connection",
            "Connection",
            "How is your home connected to the internet?",
            "Broadband includes phone line, cable and full fibre connections.",
            "choice",
            (
                Answer("fixed", "Broadband", ("home broadband", "fixed broadband", "wifi")),
                Answer(
                    "mobile_only",
                    "Only through mobile data (a phone, dongle or mobile Wi-Fi box)",
                    ("mobile data only", "mobile only"),
                ),
                Answer("none", "No internet at home", ("none", "no connection")),
                Answer("dont_know", "I don't know"),
            ),
            required=True,
        ),
        Question(
            "CON2",
            "mobile_data",
            "Connection",
            "Do you have mobile data on your phone?",
            "Mobile data lets you go online away from Wi-Fi.",
            "choice",
            (
                Answer("enough", "Yes, and it is usually enough"),
                Answer("not_enough", "Yes, but it often runs out"),
                Answer("none", "No mobile data", ("no",)),
                Answer("dont_know", "I don't know"),
            ),
            routing=(HAS_SMARTPHONE,),
            routing_text="People with a smartphone (device_smartphone is 'own' or 'shared')",
        ),
        Question(
            "USE1",
            "online_frequency",
            "Going online",
            "How often do you use the internet?",
            "Include email, apps, video calls and websites on any device.",
            "choice",
            FREQUENCY,
            required=True,
        ),
        Question(
            "USE2",
            "ever_online",
            "Going online",
            "Have you ever used the internet?",
            "",
            "choice",
            (
                Answer("yes_past", "Yes, but I don't any more", ("yes",)),
                Answer("no_never", "No, never", ("no",)),
            ),
            required=True,
            routing=(NEVER_ONLINE,),
            routing_text="People who never go online (online_frequency is 'never')",
        ),
        Question(
            "USE3",
            "main_device",
            "Going online",
            "Which device do you use most to go online?",
            "",
            "choice",
            (
                Answer("smartphone", "My smartphone", ("smartphone",)),
                Answer("tablet", "My tablet", ("tablet",)),
                Answer("computer", "My laptop or desktop computer", ("computer", "laptop")),
                Answer("someone_elses", "Someone else's device", ("someone else's",)),
                Answer("public", "A computer in a library or other public place", ("library",)),
            ),
            required=True,
            routing=(ONLINE,),
            routing_text=ONLINE_TEXT,
        ),
        Question(
            "USE4",
            "confidence",
            "Going online",
            "How confident do you feel using the internet?",
            "",
            "choice",
            CONFIDENCE,
            required=True,
            routing=(ONLINE,),
            routing_text=ONLINE_TEXT,
        ),
    ]
    for number, (column, task) in enumerate(FOUNDATION_TASKS, start=1):
        questions.append(
            Question(
                f"FND{number}",
                column,
                "Foundation skills",
                f"Can you: {task}?",
                _task_hint("Foundation"),
                "choice",
                TASK,
                required=True,
                routing=(ONLINE,),
                routing_text=ONLINE_TEXT,
            )
        )
    prefixes = {
        "communicating": "COM",
        "handling_information": "INF",
        "transacting": "TRA",
        "problem_solving": "PRB",
        "safe_and_legal": "SAF",
    }
    for area, (area_name, tasks) in LIFE_AREAS.items():
        for number, (column, task) in enumerate(tasks, start=1):
            questions.append(
                Question(
                    f"{prefixes[area]}{number}",
                    column,
                    f"Skills for life: {area_name}",
                    f"Can you: {task}?",
                    _task_hint(f"for Life, {area_name}"),
                    "choice",
                    TASK,
                    required=True,
                    routing=(ONLINE,),
                    routing_text=ONLINE_TEXT,
                )
            )
    for number, (area, (column, task)) in enumerate(WORK_TASKS.items(), start=1):
        questions.append(
            Question(
                f"WRK{number}",
                column,
                "Skills for work",
                f"Can you: {task}?",
                _task_hint(f"for Work, {LIFE_AREAS[area][0]}")
                + " Choose 'does not apply' if you do not work or it is not part of your work.",
                "choice",
                WORK_TASK,
                required=True,
                routing=(ONLINE,),
                routing_text=ONLINE_TEXT,
            )
        )
    for number, (column, label) in enumerate(BARRIERS.items(), start=1):
        questions.append(
            Question(
                f"BAR{number}",
                column,
                "What stops you",
                f"What stops you going online, or going online more? {label}",
                "Tick all that apply. A blank means not ticked.",
                "choice",
                YES_NO,
                routing=(NOT_DAILY,),
                routing_text="People who do not go online every day "
                "(online_frequency is not 'daily')",
            )
        )
    questions += [
        Question(
            "SUP1",
            "wants_help",
            "Help and follow-up",
            "Would you like help to learn to do more online?",
            "For example free sessions at a library or a Digital Champion near you.",
            "choice",
            (
                Answer("yes", "Yes", ("y",)),
                Answer("maybe", "Maybe", ("not sure",)),
                Answer("no", "No, I don't want help", ("no", "n")),
            ),
            required=True,
        ),
        Question(
            "SUP2",
            "consent_follow_up",
            "Help and follow-up",
            "Can we contact you again about help or a follow-up survey?",
            "Your contact details are kept apart from your answers.",
            "choice",
            YES_NO,
            required=True,
        ),
    ]
    return tuple(questions)


def _build_consistency_rules() -> tuple[ConsistencyRule, ...]:
    rules = []
    for device, column in (
        ("smartphone", "device_smartphone"),
        ("tablet", "device_tablet"),
        ("computer", "device_computer"),
    ):
        rules.append(
            ConsistencyRule(
                f"main_device_{device}_without_{device}",
                "main_device",
                (
                    Condition("main_device", "in", (device,)),
                    Condition(column, "in", ("none",)),
                ),
                f"impossible combination: mostly goes online on their own {device}, but "
                f"{column} says they have no {device}",
            )
        )
    return tuple(rules)


@dataclass(frozen=True)
class QuestionSet:
    """A versioned question set: the questions in order and the cross-question rules."""

    version: str
    questions: tuple[Question, ...]
    consistency_rules: tuple[ConsistencyRule, ...]

    def __post_init__(self) -> None:
        columns = [question.column for question in self.questions]
        ids = [question.id for question in self.questions]
        if len(set(columns)) != len(columns) or len(set(ids)) != len(ids):
            raise ValueError("question ids and columns must be unique")
        for question in self.questions:
            unknown = set(question.parents) - set(columns)
            if unknown:
                raise ValueError(f"{question.id} routes on unknown columns {sorted(unknown)}")

    @property
    def columns(self) -> tuple[str, ...]:
        """The CSV columns, in order."""
        return tuple(question.column for question in self.questions)

    def by_column(self, column: str) -> Question:
        """Return the question stored in a column."""
        for question in self.questions:
            if question.column == column:
                return question
        raise KeyError(f"no question is stored in column {column!r}")

    def applicable(self, answers: Answers) -> list[Question]:
        """Return the questions asked of a person with these answers, in order."""
        return [question for question in self.questions if question.applies(answers)]


QUESTION_SET = QuestionSet(QUESTION_SET_VERSION, _build_questions(), _build_consistency_rules())
"""The current question set (version ``2026.1``)."""

SOURCE_ID_COLUMN = "source_response_id"
"""Optional column: the response id given by the survey tool, used in the de-duplication hash."""

FOUNDATION_COLUMNS: tuple[str, ...] = tuple(column for column, _ in FOUNDATION_TASKS)
LIFE_COLUMNS: dict[str, tuple[str, ...]] = {
    area: tuple(column for column, _ in tasks) for area, (_, tasks) in LIFE_AREAS.items()
}
WORK_COLUMNS: dict[str, str] = {area: column for area, (column, _) in WORK_TASKS.items()}
BARRIER_COLUMNS: tuple[str, ...] = tuple(BARRIERS)


def data_dictionary(question_set: QuestionSet = QUESTION_SET) -> list[DictionaryRow]:
    """Return the data dictionary: one row per CSV column, in template order.

    The first row describes the optional ``source_response_id`` column.  ``type`` is ``code``
    for answers from a list, ``postcode``, ``ons_code`` (ward or LSOA) or ``text``.
    """
    rows = [
        DictionaryRow(
            "META1",
            SOURCE_ID_COLUMN,
            "About the response",
            "Response id from your survey tool",
            "Optional. Used to tell apart two people who gave exactly the same answers.",
            "text",
            False,
            (),
            (),
            "Everyone",
        )
    ]
    types = {
        "choice": "code",
        "postcode": "postcode",
        "ward_code": "ons_code",
        "lsoa_code": "ons_code",
        "text": "text",
    }
    for question in question_set.questions:
        required = question.required
        routing = question.routing_text
        if question.column in ("postcode", "ward_code"):
            routing = "Everyone: give a postcode, a ward code or both"
        rows.append(
            DictionaryRow(
                question.id,
                question.column,
                question.section,
                question.text,
                question.hint,
                types[question.kind],
                required,
                question.codes,
                question.labels,
                routing,
            )
        )
    return rows


def data_dictionary_frame(question_set: QuestionSet = QUESTION_SET) -> pd.DataFrame:
    """Return the data dictionary as a table (codes and labels joined with ``" | "``)."""
    rows = data_dictionary(question_set)
    return pd.DataFrame(
        {
            "question_id": [row.question_id for row in rows],
            "column": [row.column for row in rows],
            "section": [row.section for row in rows],
            "text": [row.text for row in rows],
            "hint": [row.hint for row in rows],
            "type": [row.type for row in rows],
            "required": [row.required for row in rows],
            "allowed_codes": [" | ".join(row.allowed_codes) for row in rows],
            "labels": [" | ".join(row.labels) for row in rows],
            "routing": [row.routing for row in rows],
        }
    )


def csv_template_columns(question_set: QuestionSet = QUESTION_SET) -> list[str]:
    """Return the column names of the import template, in order."""
    return [SOURCE_ID_COLUMN, *question_set.columns]


def codes_for(columns: Sequence[str], question_set: QuestionSet = QUESTION_SET) -> dict[str, tuple]:
    """Return the allowed codes of several columns (handy for building forms and checks)."""
    return {column: question_set.by_column(column).codes for column in columns}
