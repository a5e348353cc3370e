"""unstamp pyc sample."""
GREETING = "hello"


def hi():
    return GREETING
