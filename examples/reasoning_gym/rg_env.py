"""Finds reasoning-gym (PyPI `reasoning-gym`, Apache-2.0) for the scripts beside this file.

reasoning-gym and its dependencies live in a virtual environment outside the repository that
scripts/reasoning_gym_venv.sh makes ($ASCENT_CACHE/venv-reasoning-gym, default ~/.cache/ascent/...; made
with --system-site-packages so Debian's python3-grpcio and python3-protobuf stay visible). When the running
interpreter lacks reasoning_gym, require_reasoning_gym() re-executes the script under that environment's
python, so the scripts can be started with any python3.
"""
import os
import sys

VERSION = "0.1.25"


def venv_python():
    cache = os.environ.get("ASCENT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "ascent")
    return os.path.join(cache, "venv-reasoning-gym", "bin", "python")


def require_reasoning_gym():
    try:
        import reasoning_gym  # noqa: F401
        return
    except ImportError:
        pass
    py = venv_python()
    venv = os.path.dirname(os.path.dirname(py))
    if os.path.exists(py) and os.path.realpath(sys.prefix) != os.path.realpath(venv):  # not yet in it
        os.execv(py, [py, os.path.abspath(sys.argv[0])] + sys.argv[1:])
    sys.exit(f"{os.path.basename(sys.argv[0])}: reasoning_gym is not installed for {sys.executable} and {py} "
             f"does not exist: run `bash scripts/reasoning_gym_venv.sh` (pip install reasoning-gym=={VERSION} "
             f"into that virtual environment)")
