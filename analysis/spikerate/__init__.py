"""spikerate's analysis package: load a run file, compute statistics, draw figures.

    import spikerate
    run = spikerate.load("build/demo/stdp_vs_backprop.h5")
    run.learning_curves()                      # test accuracy (fraction) by examples seen
    run.work_per_example()                     # operations and energy per example
    spikerate.figures.learning_curves(run)     # the same as a figure

Units, everywhere: time in ms (arguments ``*_ms``), rates in Hz, energy in pJ, accuracy as a
fraction of the test set in [0, 1].

Modules: :mod:`spikerate.run` (the loader), :mod:`spikerate.stats` (statistics on numpy
arrays or :class:`Spikes`), :mod:`spikerate.figures` (matplotlib figures),
:mod:`spikerate.report` (the ``python3 -m spikerate.report`` command),
:mod:`spikerate.neo_conversion` (a run as a neo Block of SpikeTrains and AnalogSignals),
:mod:`spikerate.notebook` (what the notebooks share). ``figures`` and ``report`` import
matplotlib, so they load on first use.
"""

import importlib

from . import stats
from .run import (FORMAT_VERSION, FrameReport, IncompleteRunWarning, NotASpikerateFile, Run,
                  Spikes, UnsupportedFormatVersion, load)

__all__ = ["load", "Run", "Spikes", "FrameReport", "NotASpikerateFile",
           "UnsupportedFormatVersion", "IncompleteRunWarning", "FORMAT_VERSION", "stats",
           "figures", "neo_conversion", "notebook"]

_LAZY = {"figures", "report", "neo_conversion", "notebook"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
