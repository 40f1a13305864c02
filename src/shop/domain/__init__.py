"""The shop's business rules: entities, value objects, domain events and errors.

Nothing here imports anything outside the standard library, so the rules can be
tested and reused without a database, a web framework or a message broker.
"""
