"""The desk on several hosts of one machine (network namespaces joined by a bridge), under
faults across hosts, checked against the venue's own records.

    python -m tests.multihost --minutes 2        # make multihost; needs root

See docs/operations.md, "Many hosts"."""
