"""Modes other than sending: the program names mailq and newaliases
(symlinks), -bp, -q..., -bi, and the -b modes stamp refuses."""
import os

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, error_line

EMPTY_QUEUE = b"Mail queue is empty\n"
# Complete (Date, Message-ID): stamp adds nothing, the bytes are exact.
MSG = (b"From: Joe <joe@example.org>\n"
       b"To: a@x.org\n"
       b"Date: Sun, 22 Nov 2026 10:00:00 +0000\n"
       b"Message-ID: <modes.1@example.org>\n"
       b"Subject: via a symlink\n"
       b"\n"
       b"body\n")


@pytest.fixture
def link(stamp, tmp_path):
    """link(name) -> the path of a symlink to $STAMP called name."""
    def make(name):
        d = tmp_path / "bin"
        d.mkdir(exist_ok=True)
        p = d / name
        os.symlink(stamp, p)
        return str(p)
    return make


def run_as(path, args, env, input_bytes=b"", config_path=None):
    return R.run_stamp(args, input_bytes, config_path, env, stamp=path)


def test_mailq_symlink(link, env):
    """No configuration is needed to list the (empty) queue."""
    r = run_as(link("mailq"), [], env)
    assert_exit(r, 0)
    assert r.stdout == EMPTY_QUEUE
    assert r.stderr == b""


def test_mailq_symlink_with_flags(link, env):
    r = run_as(link("mailq"), ["-v", "-Ac"], env)
    assert_exit(r, 0)
    assert r.stdout == EMPTY_QUEUE


def test_newaliases_symlink(link, env):
    r = run_as(link("newaliases"), [], env)
    assert_exit(r, 0)
    assert r.stdout == b""
    assert r.stderr == b""


def test_sendmail_symlink_sends(link, env, smtps, config_for):
    r = run_as(link("sendmail"), ["a@x.org"], env, MSG, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(MSG))


@pytest.mark.parametrize("args", [["-bp"], ["-bp", "-v"], ["-b", "p"]])
def test_bp(run, args):
    r = run(args)
    assert_exit(r, 0)
    assert r.stdout == EMPTY_QUEUE


def test_bp_no_syslog_line(run_syslog):
    r = run_syslog(["-bp"])
    assert_exit(r, 0)
    assert r.stdout == EMPTY_QUEUE
    assert r.syslog == []


@pytest.mark.parametrize("args", [
    ["-q"], ["-q30m"], ["-q1h30m"], ["-qIabc"], ["-qRexample.org"],
    ["-qSjoe@example.org"], ["-q!Iabc"], ["-qf"], ["-qp5m"], ["-bi"],
])
def test_queue_and_aliases_flags(smtps, config_for, run, args):
    """Nothing is queued: exit 0 in silence, and no server is contacted."""
    r = run(args, b"", config_for(smtps))
    assert_exit(r, 0)
    assert r.stdout == b""
    assert r.stderr == b""
    smtps.settle()
    assert smtps.connections == 0


def test_q_verbose_says_so(run):
    r = run(["-v", "-q30m"])
    assert_exit(r, 0)
    assert r.stdout == b""
    assert b"nothing to run" in r.stderr


@pytest.mark.parametrize("mode", ["-bt", "-bv", "-bd", "-bD", "-bh", "-bH",
                                  "-bP", "-bx"])
def test_unsupported_b_modes(smtps, config_for, run, mode):
    r = run([mode, "a@x.org"], SIMPLE, config_for(smtps))
    assert_exit(r, 64)
    line = error_line(r)
    assert "unsupported mode " + mode in line
    assert r.stdout == b""
    smtps.settle()
    assert smtps.connections == 0


@pytest.mark.parametrize("flag", ["-qZ", "-qI", "-q5x"])
def test_bad_queue_flag(run, flag):
    r = run([flag])
    assert_exit(r, 64)
    assert "-q" in error_line(r)
