"""Fixtures for the interop suite: stamp against real Postfix + Dovecot,
and real mutt, cron and git send-email sending through stamp.  Run with
make check-interop (as root), or
STAMP=/abs/path/build/stamp /usr/bin/python3 -m pytest -q \
    -p no:cacheprovider tests/interop
"""
import os
import re
import sys
import time

import pytest

# The integration harness (certs.py, run.py) is reused as it is.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))

from stamptest import run as R  # noqa: E402
from stamptest.certs import make_certs  # noqa: E402
from stamptest.fixtures import env, home, stamp  # noqa: E402,F401

import mailstack  # noqa: E402
from mailstack import MailStack  # noqa: E402

NEEDED = ("/usr/sbin/postfix", "/usr/sbin/dovecot")


def _can_start_stack():
    if os.geteuid() != 0:
        pytest.fail("the interop suite starts Postfix and Dovecot: run it "
                    "as root")
    for p in NEEDED:
        if not os.access(p, os.X_OK):
            pytest.fail("%s missing: sh scripts/install-deps.sh" % p)


@pytest.fixture(scope="session")
def stack():
    """Postfix + Dovecot for the whole session, stopped at the end (and
    checked to leave no process behind)."""
    _can_start_stack()
    s = MailStack(make_certs).start()
    yield s
    s.stop()


# The HS256 key that Dovecot's oauth2 passdb checks tokens with and the
# test provider (stamptest/oauthprovider.py) signs them with.
OAUTH2_KEY = b"stamp-interop-jwt-key-0123456789abcdef"


@pytest.fixture(scope="session")
def oauth_stack():
    """A second Postfix + Dovecot whose Dovecot also validates OAuth2
    JWTs locally (mailstack.py, oauth2_key); started only for the tests
    that ask for it."""
    _can_start_stack()
    s = MailStack(make_certs, oauth2_key=OAUTH2_KEY).start()
    yield s
    s.stop()


def _log_complete(text):
    if text.count("]: connect from ") != text.count("]: disconnect from "):
        return False
    queued = re.findall(r"\]: ([0-9A-F]+): message-id=", text)
    return all("]: %s: removed" % q in text for q in queued)


class Mail:
    """One test's view of the stack: the Maildirs start empty, and the
    Postfix and Dovecot logs from the start of the test are at hand."""

    def __init__(self, stack):
        self.stack = stack
        stack.clear_mail()
        self.log_start = len(stack.maillog())
        self.dovecot_start = len(stack.dovecot_log())

    def log(self, timeout=10):
        """Postfix's log since the test began, once it has caught up:
        postlogd writes what the daemons send it a little later, so wait
        until every SMTP session has its disconnect line and every queued
        message its "removed" line."""
        end = time.monotonic() + timeout
        while True:
            text = self.stack.maillog()[self.log_start:]
            if _log_complete(text) or time.monotonic() > end:
                return text
            time.sleep(0.05)

    def dovecot_log(self, until, timeout=10):
        """Dovecot's log since the test began, once it holds until (any
        case): its log process too writes a little later."""
        end = time.monotonic() + timeout
        while True:
            text = self.stack.dovecot_log()[self.dovecot_start:]
            if until.lower() in text.lower() or time.monotonic() > end:
                return text
            time.sleep(0.05)

    def settle(self, boxes=(), count=1, timeout=60):
        """Wait until every box in boxes holds count messages and Postfix's
        queue is empty; return {box: [file bytes]}."""
        end = time.monotonic() + timeout
        while True:
            got = {b: self.stack.maildir_files(b) for b in boxes}
            if (all(len(v) >= count for v in got.values()) and
                    self.stack.queue_empty()):
                break
            if time.monotonic() > end:
                raise AssertionError(
                    "delivery timed out: %r\n--- maillog\n%s" % (
                        {b: len(v) for b, v in got.items()}, self.log()))
            time.sleep(0.05)
        out = {}
        for b, files in got.items():
            out[b] = []
            for f in files:
                with open(f, "rb") as fh:
                    out[b].append(fh.read())
        return out

    def nothing_delivered(self, wait=1.0):
        """No message in any box and none queued, after a grace period
        long enough for a queued message to reach its Maildir."""
        time.sleep(wait)
        end = time.monotonic() + 30
        while not self.stack.queue_empty():
            assert time.monotonic() < end, "Postfix queue not empty"
            time.sleep(0.05)
        for b in mailstack.MAILBOXES:
            assert self.stack.maildir_files(b) == [], (
                "%s got mail\n%s" % (b, self.log()))
        assert " status=sent " not in self.log(), self.log()


@pytest.fixture
def mail(stack):
    return Mail(stack)


@pytest.fixture
def config(tmp_path, stack):
    """config(mode="smtps", **overrides) -> path of a 0600 stamp.ini whose
    default account [test] points at the stack's listener for mode
    ("smtps" or "starttls"); keyword arguments override keys (None
    removes one, from_= for "from")."""
    def make(mode="smtps", name="stamp.ini", **over):
        acct = {
            "host": "localhost",
            "port": stack.smtps if mode == "smtps" else stack.submission,
            "tls": mode,
            "user": mailstack.USER,
            "password": mailstack.PASSWORD,
            "from": R.FROM,
            "auth": "auto",
            "tls_trust_file": stack.certs.ca_pem,
            "timeout": 30,
            "domain": R.DOMAIN,
        }
        for k, v in over.items():
            acct[k.rstrip("_")] = v
        return R.write_config(tmp_path / name, {
            "defaults": {"default_account": "test"}, "test": acct})[0]
    return make


@pytest.fixture
def run(stamp, env):
    """run(args, input_bytes, config_path=None, env=None, timeout=60)."""
    def go(args, input_bytes=b"", config_path=None, env=env, timeout=60,
           **kw):
        return R.run_stamp(args, input_bytes, config_path, env, stamp=stamp,
                           timeout=timeout, **kw)
    return go

