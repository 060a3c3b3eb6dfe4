"""The test servers themselves: loopback only, and a private setup."""
import os
import re
import subprocess


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_listens_on_loopback_only(stack):
    """Every TCP or UDP socket a process of this stack listens on is
    bound to 127.0.0.1, on the two ports the suite chose."""
    out = subprocess.run(["ss", "-Hltunp"], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    groups = set(stack.process_groups())
    ours = [ln for ln in out.splitlines()
            if any(_pgid(int(pid)) in groups
                   for pid in re.findall(r"pid=(\d+)", ln))]
    ports = sorted(ln.split()[4] for ln in ours)
    assert ports == sorted("127.0.0.1:%d" % p
                           for p in (stack.smtps, stack.submission)), out


def test_system_configuration_untouched(stack):
    """Postfix runs from the run directory: no main.cf appears in
    /etc/postfix (the package is installed with "No configuration")."""
    assert not os.path.exists("/etc/postfix/main.cf") or \
        stack.run not in open("/etc/postfix/main.cf").read()
    assert "configuration %s/postfix" % stack.run in stack.maillog()
