"""Browser tests: Debian Chromium through Playwright, with axe-core checks."""
