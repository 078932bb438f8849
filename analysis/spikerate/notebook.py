"""What the notebooks in analysis/notebooks share: finding their run files and writing
conclusions computed from the numbers.

Each notebook takes its run file from an environment variable and falls back to the file a
``make`` target writes in the source tree (e.g. ``make demo`` writes
``build/demo/stdp_vs_backprop.h5``), so it opens without editing after that target ran, and the
test suite points it at small runs of its own.
"""

import os
from pathlib import Path

__all__ = ["repo_root", "run_path", "show"]


def repo_root():
    """The source tree this package lives in (the folder holding ``analysis/``)."""
    return Path(__file__).resolve().parents[2]


def run_path(env_var, default, make_hint):
    """The run file to use: ``$env_var`` if set, else ``<repo>/<default>``.

    Raises FileNotFoundError naming the ``make`` target (``make_hint``) that writes the default
    file and the variable that overrides it, if neither the file nor its ``.partial`` exists.
    """
    chosen = os.environ.get(env_var)
    path = Path(chosen) if chosen else repo_root() / default
    if not path.exists() and not path.with_name(path.name + ".partial").exists():
        how = (f"${env_var} is set to it" if chosen else
               f"it is the default; run `{make_hint}` in {repo_root()} to make it, or set "
               f"{env_var} to another run file")
        raise FileNotFoundError(f"no run file {path} ({how})")
    return path


def show(markdown_text):
    """Displays computed text as Markdown in a notebook, or prints it elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        print(markdown_text)
        return
    if get_ipython() is None:
        print(markdown_text)
    else:
        display(Markdown(markdown_text))
