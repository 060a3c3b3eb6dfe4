"""The test servers themselves: loopback only, and a private setup."""
import os
import subprocess


def test_listens_on_loopback_only(stack):
    """Every TCP or UDP socket Postfix and Dovecot listen on is bound to
    127.0.0.1 (the two ports the suite chose)."""
    out = subprocess.run(["ss", "-Hltunp"], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    mine = [ln for ln in out.splitlines()
            if any(n in ln for n in ('"master"', '"smtpd"', '"dovecot"'))]
    ports = sorted(ln.split()[4] for ln in mine)
    assert ports == sorted("127.0.0.1:%d" % p
                           for p in (stack.smtps, stack.submission)), out


def test_system_configuration_untouched(stack):
    """Postfix runs from the run directory: no main.cf appears in
    /etc/postfix (the package is installed with "No configuration")."""
    assert not os.path.exists("/etc/postfix/main.cf") or \
        stack.run not in open("/etc/postfix/main.cf").read()
    assert "configuration %s/postfix" % stack.run in stack.maillog()
