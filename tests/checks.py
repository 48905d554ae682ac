"""The verdict lines of the Python end-to-end tests: `check(name, ok, detail)` prints "ok   name" or
"FAIL name: detail" and remembers failures; `finish(work)` removes the work directory when all passed (keeps
it, and says where, otherwise) and exits 1 on any failure."""
import shutil
import sys

failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)[:3000]), flush=True)
    if not ok:
        failures.append(name)


def finish(work, keep=False):
    if not failures and not keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("work directory kept:", work)
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)
