"""Flask-free kernel shared by every domain package.

It holds the SQLAlchemy ``Base`` (with a constraint naming convention and a UTC datetime type),
engine and session factories, the clock, ``DomainError``, postcode helpers, the notification
outbox and the audit log.  It imports nothing from the rest of the project.
"""
