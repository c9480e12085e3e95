"""The fixed code lists of the champions domain, with the words people see for each code.

Codes are stored in the database (short, stable, English snake case); labels are what pages,
messages and reports show.  Adding a code is a reviewed change: the check constraints in
``champions.models`` are built from these tuples, so a migration goes with it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# The Essential Digital Skills framework (Foundation and its five skill areas), then the practical
# topics councils are asked about most (see the reference notes, A7 and A13-A14).
TOPIC_LABELS: Final = MappingProxyType(
    {
        "foundation": "Foundation skills (turning on, logging in, connecting to Wi-Fi)",
        "communicating": "Communicating",
        "handling_information": "Handling information and content",
        "transacting": "Transacting (shopping, banking and paying online)",
        "problem_solving": "Problem solving",
        "being_safe_and_legal": "Being safe and legal online",
        "scams_and_safety": "Scams and safety",
        "health_and_nhs_app": "Health and the NHS App",
        "benefits_and_council_services": "Benefits and council services",
        "using_a_device": "Using a device",
    }
)
TOPICS: Final = tuple(TOPIC_LABELS)

CHAMPION_KIND_LABELS: Final = MappingProxyType({"staff": "Staff", "volunteer": "Volunteer"})
CHAMPION_KINDS: Final = tuple(CHAMPION_KIND_LABELS)

# Where help was given, after the French CRA "canal" (home base, other site, remote, home visit).
PLACE_LABELS: Final = MappingProxyType(
    {
        "venue": "At a venue",
        "other_site": "Somewhere else in the community",
        "home_visit": "Home visit",
        "phone": "By phone",
        "remote": "Remotely (video call or screen sharing)",
    }
)
PLACES: Final = tuple(PLACE_LABELS)

SUPPORT_KIND_LABELS: Final = MappingProxyType(
    {"individual": "One resident", "group": "A group of residents"}
)
SUPPORT_KINDS: Final = tuple(SUPPORT_KIND_LABELS)

# Bands, not dates of birth (data minimisation).  "mixed" is only for group support.
AGE_BAND_LABELS: Final = MappingProxyType(
    {
        "under_16": "Under 16",
        "16_24": "16 to 24",
        "25_44": "25 to 44",
        "45_64": "45 to 64",
        "65_74": "65 to 74",
        "75_plus": "75 or over",
        "prefer_not_to_say": "Prefer not to say",
        "mixed": "Mixed ages (group)",
    }
)
AGE_BANDS: Final = tuple(AGE_BAND_LABELS)

OUTCOME_LABELS: Final = MappingProxyType(
    {
        "continues_with_champion": "Carries on with a champion",
        "joins_session": "Joins a training session",
        "device_loan_referral": "Referred for a device or data loan",
        "referred_elsewhere": "Referred to another organisation",
        "no_further_help": "No further help needed",
    }
)
OUTCOMES: Final = tuple(OUTCOME_LABELS)

LEVEL_LABELS: Final = MappingProxyType(
    {"beginner": "Beginners", "improver": "Improvers", "all_levels": "All levels"}
)
LEVELS: Final = tuple(LEVEL_LABELS)

FREQUENCY_LABELS: Final = MappingProxyType(
    {"weekly": "Every week", "fortnightly": "Every 2 weeks", "monthly": "Every month"}
)
FREQUENCIES: Final = tuple(FREQUENCY_LABELS)

SESSION_STATUSES: Final = ("scheduled", "cancelled")

BOOKING_STATUS_LABELS: Final = MappingProxyType(
    {
        "confirmed": "Booked",
        "waiting": "On the waiting list",
        "offered": "Offered a place",
        "cancelled": "Cancelled",
        "expired": "Offer ended",
        "attended": "Attended",
        "no_show": "Did not attend",
    }
)
BOOKING_STATUSES: Final = tuple(BOOKING_STATUS_LABELS)
# Statuses that hold one of the session's places: ``booked_count`` always equals their number.
PLACE_HOLDING_STATUSES: Final = ("confirmed", "offered", "attended", "no_show")
# Statuses of a booking that is still live for a future session.
ACTIVE_STATUSES: Final = ("confirmed", "offered", "waiting")

CONTACT_METHOD_LABELS: Final = MappingProxyType({"email": "Email", "sms": "Text message"})
CONTACT_METHODS: Final = tuple(CONTACT_METHOD_LABELS)

TRAINING_MODULE_LABELS: Final = MappingProxyType(
    {
        "champion_essentials": "Digital Champion Essentials",
        "safeguarding_adults": "Safeguarding adults",
        "data_protection": "Data protection and confidentiality",
        "scams_awareness": "Scams awareness",
        "accessibility_tools": "Accessibility settings and assistive technology",
        "nhs_app": "Helping people use the NHS App",
        "device_lending": "Lending devices and data",
    }
)
TRAINING_MODULES: Final = tuple(TRAINING_MODULE_LABELS)

# Module -> months a completion stays current (None: once is enough).  Councils set their own by
# passing another mapping to ``rules.training_due``; these are the defaults.
REQUIRED_TRAINING: Final = MappingProxyType(
    {"champion_essentials": None, "safeguarding_adults": 36, "data_protection": 12}
)

WEEKDAY_NAMES: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

# Notification templates this domain queues in the outbox (``core.outbox``).
TEMPLATE_BOOKING_CONFIRMED: Final = "booking_confirmed"
TEMPLATE_SESSION_REMINDER: Final = "session_reminder"
TEMPLATE_WAITING_LIST_JOINED: Final = "waiting_list_joined"
TEMPLATE_WAITING_LIST_OFFER: Final = "waiting_list_offer"
TEMPLATE_OFFER_EXPIRED: Final = "waiting_list_offer_expired"
TEMPLATE_BOOKING_CANCELLED: Final = "booking_cancelled"
TEMPLATE_SESSION_CANCELLED: Final = "session_cancelled"
TEMPLATE_SESSION_CHANGED: Final = "session_changed"
