"""After Run All, the verdict under a starter is the learner's own, in JupyterLab in Chromium.

The worked solution comes after the check and is run by Run All too; it defines a function of its
own name, so a wrong starter stays wrong: its check, run again after Run All, still says "not yet".
Notebook 01 runs fastest of the series, and its exercises are checked like every other's.

    python -m pytest tests/browser -rA -k verdicts
"""

from __future__ import annotations

import time

import pytest

from . import _learn as learn
from ._page import Notebook
from ._support import ROOT, record_figure

pytestmark = pytest.mark.browser

NOTEBOOK = "01_vanishing_gradients.ipynb"
WRONG = """def make_layer(n_in, n_out):
    return nn.Sequential(nn.Linear(n_in, n_out), nn.ReLU())"""  # 01.1 with the wrong activation


def test_a_wrong_starter_stays_not_yet_after_run_all(lab_factory, page):
    t0 = time.monotonic()
    server = lab_factory(ROOT / "notebooks")
    nb = Notebook(page, NOTEBOOK)
    nb.open(server.url, server.token)
    t_run = nb.run_all()
    nb.assert_no_errors()
    seen = learn.wrong_edit_stays_wrong(nb, "01.1", WRONG)
    record_figure(
        f"{NOTEBOOK}: Run All {t_run:.1f} s, whole test {time.monotonic() - t0:.1f} s; {seen}"
    )
