"""``flask --app app gdpr export|erase``: a resident's right of access and right to erasure.

Residents have no account, so a person is found by the email address or the phone number they
gave.  Their data is in five places:

* champions bookings (name, email, phone, access needs), found by email or phone;
* champions support logs (name and contact, kept only with consent), whose contact is free text;
* device loan requests (name, contact, postcode, age, reason and notes) with their loans;
* survey contacts (name, email, phone as typed), kept apart from the survey answers;
* the notification outbox (recipient and message contents).

The same requests can be handled by an administrator on the web, at ``/admin/data-requests``
(``routes``), or on the command line (``cli``).  ``export`` writes every row linked to the person as JSON (UK GDPR Art. 15; reference P-08);
``erase`` removes the personal fields of every row that can be erased now, in one transaction,
and lists what it could not erase and why (Art. 17; reference P-07).  Rows are kept with their
personal fields blanked, so counts and statistics do not change (survey contact details, kept
in a table of their own, are deleted as the survey's retention does).  The audit trail records
ids and counts only, never the email address or phone number.

Emails match whatever their case.  Phone numbers match in any common spelling ("07700 900982",
"+44 7700 900982", "0044 7700900982"): bookings, loan requests and the outbox store them
normalised; support logs and survey contacts keep them as typed and are read with
``phonenumbers``.  Records that hold only a name (a support log without contact details) are
not found: names are not unique.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add the ``gdpr`` commands and the administrators' request pages to ``app``."""
    from app.gdpr.cli import gdpr_cli
    from app.gdpr.routes import bp
    from app.navigation import nav_item

    app.cli.add_command(gdpr_cli)
    app.register_blueprint(bp)
    nav_item(app, "Data protection requests", "gdpr.find", order=91)
