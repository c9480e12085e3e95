"""Page helpers: parse HTML and check the title, the h1 and the error summary."""

from __future__ import annotations

from dataclasses import dataclass

from bs4 import BeautifulSoup
from werkzeug.test import TestResponse


@dataclass
class Page:
    """A parsed HTML page."""

    soup: BeautifulSoup
    status: int

    @property
    def title(self) -> str:
        return self.soup.title.get_text(strip=True) if self.soup.title else ""

    @property
    def h1(self) -> str:
        heading = self.soup.find("h1")
        return heading.get_text(" ", strip=True) if heading else ""

    @property
    def error_summary(self) -> list[str]:
        """The messages listed in the GOV.UK error summary (empty when there is none)."""
        summary = self.soup.select_one(".govuk-error-summary")
        if summary is None:
            return []
        return [
            item.get_text(" ", strip=True)
            for item in summary.select(".govuk-error-summary__list li")
        ]

    def field_error(self, field_id: str) -> str:
        """The inline error message shown for the field with ``field_id``."""
        message = self.soup.select_one(f"#{field_id}-error")
        return message.get_text(" ", strip=True).removeprefix("Error:").strip() if message else ""

    def text(self) -> str:
        return self.soup.get_text(" ", strip=True)

    def csrf_token(self) -> str:
        field = self.soup.find("input", attrs={"name": "csrf_token"})
        assert field is not None, "no CSRF token on the page"
        return str(field["value"])


def parse(response: TestResponse) -> Page:
    """Parse a response as HTML and check the house rules every page keeps."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    page = Page(soup=soup, status=response.status_code)
    assert page.title, "every page has a title"
    assert len(soup.find_all("h1")) == 1, f"every page has exactly one h1: {page.title}"
    if page.error_summary:
        assert page.title.startswith("Error: "), "an invalid form puts 'Error: ' in the title"
    return page
