"""Tests of the champions domain: rules, services, bookings, reports, retention, demo."""
