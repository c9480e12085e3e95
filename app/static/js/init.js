// Start GOV.UK Frontend's components (kept in a file so the Content Security Policy needs no inline code).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
