"""Records people keep by hand: families, their goals and notes, and their assessments.

Each write checks what it is given, raises ``RecordInvalid`` in plain words, and is
audited in the same transaction.
"""
