"""Device and data loans: inventory, kits, requests, eligibility and the loan lifecycle.

Modules:

``config``
    ``LoanPolicy``: the council's eligibility rules, loan-length matrix, limits, reminder days
    and retention period, checked when built.
``rules``
    Pure rules: the device, request and loan state machines, eligibility, need scores, due
    dates, renewals and reminder timing.
``models``
    The tables.
``services``
    Everything that changes the tables (register, wipe, lend, renew, return, mark overdue,
    purge ...), each taking a ``Session`` and ``now``/``today`` and never committing.
``reports``
    Devices out per ward, waiting times, utilisation and outcomes (exact counts; the caller
    suppresses small numbers).
``demo``
    A synthetic year of loans for the demo borough.
"""
