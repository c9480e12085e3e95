"""Staff accounts, roles, sign-in and the access rules every route declares."""
