"""Example URL values per feature, registered with ``tests.route_examples.example``."""
