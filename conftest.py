"""Test-session setup shared by the unit tests, nbval and the browser tests.

Jupyter, IPython and matplotlib write into $HOME; every run gets its own temporary folders instead,
so runs leak no state into each other or into the user's setup. Kernels started by nbval inherit
this environment.
"""

import atexit
import os
import shutil
import tempfile

_state = tempfile.mkdtemp(prefix="shortcut-lib-tests-")
atexit.register(shutil.rmtree, _state, ignore_errors=True)
for _var, _sub in [
    ("JUPYTER_CONFIG_DIR", "jupyter-config"),
    ("JUPYTER_DATA_DIR", "jupyter-data"),
    ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
    ("IPYTHONDIR", "ipython"),
    ("MPLCONFIGDIR", "matplotlib"),
]:
    os.environ[_var] = os.path.join(_state, _sub)
    os.makedirs(os.environ[_var], exist_ok=True)
# Leave the kernelspec search to the running interpreter, never a stray user-wide one.
os.environ["JUPYTER_PATH"] = os.environ["JUPYTER_DATA_DIR"]
