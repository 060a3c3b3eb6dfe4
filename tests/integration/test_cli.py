"""The command line: --version, --help, usage errors, ignored sendmail
flags, and the -v transcript (redacted)."""
import base64
import re

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, error_line


def test_version(run):
    r = run(["--version"])
    assert_exit(r, 0)
    assert re.match(rb"stamp \d+\.\d+(\.\d+)?\S*\n\Z", r.stdout), r.stdout
    assert r.stderr == b""


def test_help(run):
    r = run(["--help"])
    assert_exit(r, 0)
    assert b"usage" in r.stdout.lower()
    assert r.stderr == b""


@pytest.mark.parametrize("flag", ["-Z", "--bogus", "-k"])
def test_unknown_flag(smtps, config_for, run, flag):
    r = run([flag, "a@x.org"], SIMPLE, config_for(smtps))
    assert_exit(r, 64)
    error_line(r)
    smtps.settle()
    assert smtps.connections == 0


@pytest.mark.parametrize("args", [[], ["-i"], ["--"], ["-oi", "--"]])
def test_no_recipients(smtps, config_for, run, args):
    r = run(args, SIMPLE, config_for(smtps))
    assert_exit(r, 64)
    error_line(r)
    smtps.settle()
    assert smtps.connections == 0


@pytest.mark.parametrize("flag", ["-f", "-F", "-a", "-C", "-N"])
def test_flag_missing_its_argument(smtps, config_for, run, flag):
    r = run([flag], SIMPLE, config_for(smtps))
    assert_exit(r, 64)
    error_line(r)


ACCEPTED = [
    ["-oem"], ["-odi"], ["-odb"], ["-om"], ["-oi"], ["-i"],
    ["-oXsomething"], ["-oQ/var/spool/mqueue"],
    ["-O", "DeliveryMode=b"], ["-ODeliveryMode=b"],
    ["-Am"], ["-G"], ["-h", "17"], ["-m"], ["-n"], ["-U"],
    ["-d", "0.1"], ["-e", "m"], ["-p", "smtp:host"], ["-x"],
    ["-B", "8BITMIME"], ["-B8BITMIME"], ["-B", "7BIT"],
    ["-N", "success,failure"], ["-Nnever"], ["-R", "hdrs"], ["-Rfull"],
    ["-V", "envid-123"], ["-bm"],
]


@pytest.mark.parametrize("flags", ACCEPTED, ids=[" ".join(f) for f in ACCEPTED])
def test_accepted_flag(smtps, config_for, run, flags):
    """Accepted (ignored, or acted on where the server allows), and a
    flag's argument is never taken for a recipient."""
    r = run(flags + ["a@x.org"], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_all_accepted_flags_at_once(smtps, config_for, run):
    flags = [f for group in ACCEPTED for f in group]
    r = run(flags + ["--", "a@x.org"], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def secrets_of(password, user=R.USER):
    """The password and the encodings it takes on the wire."""
    p = password.encode()
    u = user.encode()
    return [p,
            base64.b64encode(p),
            base64.b64encode(b"\0" + u + b"\0" + p),
            base64.b64encode(u + b"\0" + u + b"\0" + p)]


def assert_no_secret(r, password=R.PASSWORD):
    places = {"stdout": r.stdout, "stderr": r.stderr}
    if hasattr(r, "syslog"):
        places["syslog"] = "\n".join(r.syslog).encode()
    for where, data in places.items():
        for s in secrets_of(password):
            assert s not in data, "%r found in %s" % (s, where)


def transcript(r):
    return r.stderr.decode("utf-8", "replace").splitlines()


def test_verbose_plain_redacted(smtps, config_for, run_syslog):
    r = run_syslog(["-v", "a@x.org"], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
    lines = transcript(r)
    assert any(l.startswith("<- 220") for l in lines), lines
    assert "-> EHLO " + R.DOMAIN in lines, lines
    assert "-> AUTH PLAIN <redacted>" in lines, lines
    assert any(l.startswith("<- 235") for l in lines), lines
    assert any(l.startswith("-> MAIL FROM:<joe@example.org>")
               for l in lines), lines
    assert any(l.startswith("-> RCPT TO:<a@x.org>") for l in lines), lines
    assert "-> DATA" in lines, lines
    assert any(l.startswith("<- 354") for l in lines), lines
    assert_no_secret(r)


def test_verbose_starttls_login_redacted(make_server, config_for,
                                         run_syslog):
    srv = make_server("starttls", auth_mechanisms=("LOGIN",))
    r = run_syslog(["-v", "a@x.org"], SIMPLE, config_for(srv))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    lines = transcript(r)
    assert "-> STARTTLS" in lines, lines
    assert any(re.fullmatch(r"-> AUTH LOGIN( <redacted>)?", l)
               for l in lines), lines
    assert any(l.startswith("<- 334") for l in lines), lines
    assert_no_secret(r)


def test_verbose_wrong_password(make_server, config_for, run_syslog):
    srv = make_server("smtps", password="the-right-one")
    r = run_syslog(["-v", "a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 77)
    lines = transcript(r)
    assert "-> AUTH PLAIN <redacted>" in lines, lines
    assert any(l.startswith("<- 535") for l in lines), lines
    assert any(l.startswith("stamp: ") and "535" in l for l in lines), lines
    assert_no_secret(r)


def test_not_verbose_prints_nothing(smtps, config_for, run):
    r = run(["a@x.org"], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
    assert r.stdout == b"" and r.stderr == b""
