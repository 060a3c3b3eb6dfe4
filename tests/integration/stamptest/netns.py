"""Network namespaces for the tests that need their own network (a
private resolver, addresses that swallow SYNs): unshare --net --mount."""
import subprocess

import pytest


def skip_without_netns(probe):
    """Skip the calling test unless `unshare --net --mount` works here
    and the shell command probe succeeds inside the new namespace."""
    try:
        p = subprocess.run(
            ["unshare", "--net", "--mount", "--propagation", "private",
             "sh", "-c", probe], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        why = repr(e)
    else:
        if p.returncode == 0:
            return
        why = p.stderr.decode(errors="replace")
    pytest.skip("cannot make a network namespace here: " + why)
