"""Analysis package of spikerate: tools for reading and analysing simulator output."""

from . import stats

__all__ = ["stats"]
