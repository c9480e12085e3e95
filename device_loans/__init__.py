"""Device and data loans: inventory, requests, eligibility and the loan lifecycle."""
