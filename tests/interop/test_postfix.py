"""stamp against real Postfix (submission with STARTTLS required, and SMTPS)
with Dovecot SASL, delivering to Maildirs (mailstack.py): each message
checked byte for byte under the trace fields Postfix adds."""
import email
import email.policy
import os
import time

import pytest

import mailstack
from helpers import (check_delivered, disconnect_stats, message, rcpt,
                     sasl_methods)
from stamptest import run as R
from stamptest.checks import show

MODES = ("smtps", "starttls")
SERVICE = {"smtps": "postfix/smtps/smtpd",
           "starttls": "postfix/submission/smtpd"}


def stderr(r):
    return r.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("mode", MODES)
def test_delivered_byte_for_byte(mail, config, run, mode):
    sent = message("interop %s delivery" % mode)
    r = run([rcpt("alice")], sent, config(mode))
    assert r.returncode == 0, show(r)
    assert r.stderr == b"" and r.stdout == b""
    got = mail.settle(["alice"])
    raw, = got["alice"]
    check_delivered(raw, sent, "alice")
    log = mail.log()
    (method, user), = sasl_methods(log)     # auto: see the auth tests
    assert method in mailstack.MECHANISMS and user == "joe", log
    assert SERVICE[mode] in log
    assert "to=<alice@%s>" % mailstack.DOMAIN in log
    assert "status=sent (delivered to maildir)" in log
    stats = disconnect_stats(log)
    assert stats.get("starttls") == ("1" if mode == "starttls" else None)
    assert stats["auth"] == "1" and stats["rcpt"] == "1", stats


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("to, why", [
    ("someone@elsewhere.example", "Relay access denied"),
    ("alice@" + mailstack.DOMAIN, "Recipient address rejected: Access denied"),
])
def test_unauthenticated_relay_refused(mail, config, run, mode, to, why):
    """Without AUTH, Postfix relays nothing and (a submission service)
    takes no recipient of its own domain either: 554 5.7.1 -> 69, nothing
    delivered."""
    sent = message("interop unauthenticated " + to)
    r = run([to], sent, config(mode, user=None, password=None))
    assert r.returncode == 69, show(r)
    err = stderr(r)
    assert "RCPT TO:<%s>: 554 5.7.1 <%s>: %s" % (to, to, why) in err, err
    mail.nothing_delivered()
    log = mail.log()
    assert "NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 554 5.7.1" in log
    assert "auth=" not in " ".join(
        "%s=%s" % kv for kv in disconnect_stats(log).items())


# -- SASL: every mechanism Dovecot offers ------------------------------

# The lower-case auth = value of each of Dovecot's mechanisms.
MECHS = [m.lower() for m in mailstack.MECHANISMS]


@pytest.mark.parametrize("mech", MECHS)
def test_auth_mechanism(mail, config, run, mech):
    """auth = MECH against Dovecot: that mechanism, end to end."""
    sent = message("interop auth " + mech)
    r = run([rcpt("alice")], sent, config("smtps", auth=mech))
    assert r.returncode == 0, show(r)
    raw, = mail.settle(["alice"])["alice"]
    check_delivered(raw, sent, "alice")
    assert sasl_methods(mail.log()) == [(mech.upper(), "joe")], mail.log()


def test_auth_auto_picks_the_strongest(mail, config, run):
    """auth = auto: the strongest mechanism both sides have (issue 7:
    SCRAM > PLAIN/LOGIN over TLS); Dovecot offers all of MECHANISMS but
    no channel binding, so SCRAM-SHA-256."""
    best = "SCRAM-SHA-256"
    sent = message("interop auth auto")
    r = run([rcpt("alice")], sent, config("starttls", auth="auto"))
    assert r.returncode == 0, show(r)
    raw, = mail.settle(["alice"])["alice"]
    check_delivered(raw, sent, "alice")
    assert sasl_methods(mail.log()) == [(best, "joe")], mail.log()


@pytest.mark.parametrize("mech", ["auto"] + MECHS)
def test_wrong_password(mail, config, run, mech):
    """Dovecot refuses: 535 5.7.8 -> 77, one line naming AUTH, nothing
    delivered, and the password never shown."""
    r = run([rcpt("alice")], message("interop wrong password " + mech),
            config("smtps", auth=mech, password="not-the-Pa55word"))
    assert r.returncode == 77, show(r)
    err = stderr(r)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stamp: "), err
    assert "AUTH" in err and "535 5.7.8" in err, err
    assert "not-the-Pa55word" not in err
    mail.nothing_delivered(wait=0.2)
    log = mail.log()
    assert "SASL " in log and " authentication failed" in log, log
    assert "auth=0/1" in log, log
    # Dovecot found the user and compared: the password was wrong.
    dlog = mail.dovecot_log(until="password mismatch")
    assert "(joe,127.0.0.1" in dlog, dlog
    assert "password mismatch" in dlog.lower(), dlog


# -- PIPELINING and CHUNKING, each on and off --------------------------

@pytest.mark.parametrize("boxes", [("alice",), ("alice", "bob", "carol")],
                         ids=["1rcpt", "3rcpt"])
@pytest.mark.parametrize("chunking", ["auto", "off"])
@pytest.mark.parametrize("pipelining", ["auto", "off"])
@pytest.mark.parametrize("mode", MODES)
def test_shortcuts(mail, config, run, mode, pipelining, chunking, boxes):
    """Postfix offers PIPELINING and CHUNKING: every combination delivers
    the same bytes to every recipient (AUTH PLAIN, which the transaction
    may follow in the same write, RFC 4954 section 4).  BDAT is used for one recipient
    with both on (DESIGN 4), DATA otherwise; Postfix's own count of the
    commands it got says which."""
    sent = message("interop %s pipelining %s chunking %s %d" % (
        mode, pipelining, chunking, len(boxes)), to=boxes,
        body=b"Hello,\n.\n..a line that starts with a dot\nend\n")
    r = run(["-v"] + [rcpt(b) for b in boxes], sent,
            config(mode, pipelining=pipelining, chunking=chunking,
                   auth="plain"))
    assert r.returncode == 0, show(r)
    got = mail.settle(boxes)
    for b in boxes:
        raw, = got[b]
        check_delivered(raw, sent, b)
    bdat = pipelining == "auto" and chunking == "auto" and len(boxes) == 1
    # stamp -v: whether it pipelined, and the BDAT size it announced.
    dialogue = stderr(r).splitlines()
    grouped = [ln for ln in dialogue if ln.startswith("stamp: pipelining:")]
    assert len(grouped) == (1 if pipelining == "auto" else 0), dialogue
    chunks = [ln for ln in dialogue if ln.startswith("-> BDAT ")]
    assert chunks == (["-> BDAT %d LAST" % len(R.crlf(sent))] if bdat
                      else []), dialogue
    stats = disconnect_stats(mail.log())
    assert stats["rcpt"] == str(len(boxes)), stats
    assert stats.get("bdat") == ("1" if bdat else None), stats
    assert stats.get("data") == (None if bdat else "1"), stats
    assert stats["mail"] == "1" and stats["auth"] == "1", stats
    # Postfix complains when a client pipelines where it must not.
    assert "improper command pipelining" not in mail.log(), mail.log()


@pytest.mark.parametrize("pipelining", ["auto", "off"])
def test_refused_recipient_among_several(mail, config, run, pipelining):
    """A recipient Postfix does not know (550 5.1.1) among known ones: 67,
    the refused one named, and nothing delivered to anyone."""
    to = [rcpt("alice"), rcpt("nobody"), rcpt("bob")]
    r = run(to, message("interop refused recipient " + pipelining,
                        to=("alice", "nobody", "bob")),
            config("starttls", pipelining=pipelining))
    assert r.returncode == 67, show(r)
    err = stderr(r)
    assert "RCPT TO:<%s>: 550 5.1.1" % rcpt("nobody") in err, err
    assert "User unknown in virtual mailbox table" in err, err
    mail.nothing_delivered()
    assert ": reject: RCPT from localhost[127.0.0.1]: 550 5.1.1 <%s>" % (
        rcpt("nobody")) in mail.log(), mail.log()
    # The two good recipients were taken, but no message was.
    assert " rcpt=2/3 " in mail.log() and "data=1" not in mail.log()


# -- Message bodies --------------------------------------------------

def test_ten_megabytes(mail, config, run):
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\n"   # 73 octets
    body = line * (10 * 1024 * 1024 // len(line) + 1)
    sent = message("interop 10 MB", body=body)
    t = time.monotonic()
    r = run([rcpt("alice")], sent, config("smtps"), timeout=120)
    assert r.returncode == 0, show(r)
    raw, = mail.settle(["alice"], timeout=120)["alice"]
    check_delivered(raw, sent, "alice")
    assert len(sent) > 10 * 1024 * 1024
    assert time.monotonic() - t < 60


def test_eight_bit_body(mail, config, run):
    """UTF-8 and Latin-1 bytes in the body arrive untouched (8BITMIME)."""
    body = ("Grüße aus Köln, ½ €, 日本語\n").encode() + b"latin-1: \xe9t\xe9\n"
    sent = message("interop 8bit", body=body,
                   extra=b"MIME-Version: 1.0\n"
                         b"Content-Type: text/plain; charset=utf-8\n"
                         b"Content-Transfer-Encoding: 8bit\n")
    r = run([rcpt("alice")], sent, config("starttls"))
    assert r.returncode == 0, show(r)
    raw, = mail.settle(["alice"])["alice"]
    check_delivered(raw, sent, "alice")


def test_long_line_quoted_printable(mail, config, run):
    """A body line over 998 octets: stamp sends the body quoted-printable
    (long_lines = encode, the default); what arrives has no line over 998
    octets and decodes to the input."""
    text = ("x" * 1500 + " über " + "y" * 1500 + "\nshort line\n").encode()
    sent = message("interop long line", body=text)
    r = run([rcpt("alice")], sent, config("smtps"))
    assert r.returncode == 0, show(r)
    raw, = mail.settle(["alice"])["alice"]
    assert max(len(ln) for ln in raw.split(b"\n")) <= 998
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert msg["Subject"] == "interop long line"
    assert msg["Message-ID"] == "<interop.long.line@example.org>"
    assert msg.get_payload(decode=True) == text


# -- TLS session resumption ------------------------------------------

def files_under(d):
    return [os.path.join(p, f) for p, _, fs in os.walk(d) for f in fs]


def test_second_send_resumes_the_tls_session(mail, config, run, home):
    """Two sends in a row with the same HOME: the second resumes the TLS
    session (a ticket in stamp's per-user cache, issue 5); Postfix says
    so."""
    cfg = config("smtps", tls_resume="auto")
    for i in (1, 2):
        sent = message("interop resume %d" % i)
        r = run([rcpt("alice")], sent, cfg)
        assert r.returncode == 0, show(r)
        got = mail.settle(["alice"], count=i)["alice"]
        assert len(got) == i
        if i == 1:
            assert files_under(home), "no TLS session cache under HOME"
    log = mail.log()
    assert log.count("Anonymous TLS connection established") == 2, log
    assert log.count("Reusing old session") == 1, log
    first, second = log.split("Anonymous TLS connection established")[:2]
    assert "Reusing old session" not in first
    assert "Reusing old session" in second
