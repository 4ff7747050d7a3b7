"""Fixtures shared by the unit tests."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Every test on one thread, as the notebooks run: the models here are small, a second
    thread gains nothing and, on a busy machine, made LayerNorm probes 10x slower. Restored
    after the session."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
