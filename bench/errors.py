"""The one error the benchmark raises: it cannot run as asked, and says why in plain words."""


class BenchError(Exception):
    """The bench cannot run as asked (no PostgreSQL URL, figures that disagree...)."""
