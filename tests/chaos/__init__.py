"""The chaos suite: the whole stack as `make up` runs it, its processes killed and its venue
failing while the desk trades, then the desk compared with the venue's own records.

    python -m tests.chaos --minutes 15        # make chaos CHAOS_MINUTES=15

See docs/operations.md, "Chaos suite"."""
