"""-t: recipients from To/Cc/Bcc (or the topmost Resent-* block); Bcc and
Resent-Bcc never transmitted; duplicates removed; a leading mbox "From "
line dropped; a missing From:, Date: and Message-ID: added."""
import email
import email.policy

import pytest

from stamptest import run as R
from stamptest.checks import assert_sent, one_message, show, strip_added

# Date: and Message-ID: are given, so that stamp adds nothing.
DATE_ID = (b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
           b"Message-ID: <rcpt.1@example.org>\n")

HEADERS_T = (b"From: Joe <joe@example.org>\n"
             b"To: \"A\" <a@x.org>, b@y.org\n"
             b"Cc: c@z.org\n"
             b"Bcc: d@w.org\n"
             b"Subject: -t test\n"
             + DATE_ID +
             b"\n"
             b"body\n")


def test_t_to_cc_bcc(smtps, config_for, run):
    r = run(["-t"], HEADERS_T, config_for(smtps))
    expected = R.crlf(HEADERS_T.replace(b"Bcc: d@w.org\n", b""))
    assert_sent(r, smtps, ["a@x.org", "b@y.org", "c@z.org", "d@w.org"],
                expected)


def test_t_folded_bcc_removed_with_continuation(smtps, config_for, run):
    msg = (b"From: joe@example.org\n"
           b"To: a@x.org\n"
           b"Bcc: d@w.org,\n"
           b"  \"Eve E.\" <e@v.org>,\n"
           b"\tf@u.org\n"
           b"Subject: folded bcc\n"
           + DATE_ID +
           b"\n"
           b"Bcc: this line is in the body and stays\n")
    r = run(["-t"], msg, config_for(smtps))
    expected = R.crlf(b"From: joe@example.org\n"
                      b"To: a@x.org\n"
                      b"Subject: folded bcc\n"
                      + DATE_ID +
                      b"\n"
                      b"Bcc: this line is in the body and stays\n")
    assert_sent(r, smtps, ["a@x.org", "d@w.org", "e@v.org", "f@u.org"],
                expected)


def test_bcc_removed_without_t(smtps, config_for, run):
    """mutt passes the Bcc recipients on argv and leaves the Bcc header in:
    it must still not be transmitted."""
    msg = (b"From: joe@example.org\nTo: a@x.org\nBCC: d@w.org\n"
           b"Subject: s\n" + DATE_ID + b"\nbody\n")
    r = run(["-oem", "-oi", "--", "a@x.org", "d@w.org"], msg,
            config_for(smtps))
    expected = R.crlf(b"From: joe@example.org\nTo: a@x.org\n"
                      b"Subject: s\n" + DATE_ID + b"\nbody\n")
    assert_sent(r, smtps, ["a@x.org", "d@w.org"], expected)


def test_argv_plus_t_deduplicated(smtps, config_for, run):
    r = run(["-t", "a@x.org", "x@extra.org", "c@z.org"], HEADERS_T,
            config_for(smtps))
    expected = R.crlf(HEADERS_T.replace(b"Bcc: d@w.org\n", b""))
    m = assert_sent(r, smtps, ["a@x.org", "b@y.org", "c@z.org", "d@w.org",
                               "x@extra.org"], expected)
    assert len(m.rcpt_tos) == 5


def test_t_group_syntax_and_comments(smtps, config_for, run):
    msg = (b"From: joe@example.org\n"
           b"To: friends: a@x.org, \"B, Jr.\" <b@y.org>;, c@z.org (Cee)\n"
           b"Cc: undisclosed-recipients:;\n"
           b"Subject: groups\n" + DATE_ID + b"\nbody\n")
    r = run(["-t"], msg, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org", "b@y.org", "c@z.org"], R.crlf(msg))


def test_from_date_msgid_added_when_missing(smtps, config_for, run):
    msg = b"To: a@x.org\nSubject: no from\n\nbody\n"
    r = run(["a@x.org"], msg, config_for(smtps))
    m = one_message(r, smtps)
    got, msg_id = strip_added(m.content, domain="example.org")
    assert got == R.crlf(b"To: a@x.org\nSubject: no from\n"
                         b"From: joe@example.org\n\nbody\n")
    # Another run, another Message-ID.
    r2 = run(["a@x.org"], msg, config_for(smtps))
    assert r2.returncode == 0, show(r2)
    smtps.settle()
    _, msg_id2 = strip_added(smtps.messages[1].content)
    assert msg_id != msg_id2


def test_from_header_added_with_F(smtps, config_for, run):
    msg = b"To: a@x.org\nSubject: no from\n" + DATE_ID + b"\nbody\n"
    r = run(["-F", "Cron Daemon", "a@x.org"], msg, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(
        b"To: a@x.org\nSubject: no from\n" + DATE_ID +
        b"From: Cron Daemon <joe@example.org>\n\nbody\n"))


def test_existing_from_header_kept_with_F(smtps, config_for, run):
    msg = (b"From: Real <real@example.org>\nSubject: s\n" + DATE_ID +
           b"\nbody\n")
    r = run(["-F", "Ignored Name", "a@x.org"], msg, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(msg))


def test_msgid_in_log_is_the_added_one(smtps, config_for, run_syslog):
    msg = b"From: joe@example.org\nSubject: s\n\nbody\n"
    r = run_syslog(["a@x.org"], msg, config_for(smtps))
    m = one_message(r, smtps)
    _, msg_id = strip_added(m.content)
    assert any("msgid=" + msg_id in g for g in r.syslog), r.syslog


RESENT = (b"Resent-From: Joe <joe@example.org>\n"
          b"Resent-To: r1@x.org, R2 <r2@x.org>\n"
          b"Resent-Cc: r3@x.org\n"
          b"Resent-Bcc: r4@x.org\n"
          b"Resent-Date: Sun, 22 Nov 2026 07:00:00 +0000\n"
          b"Resent-Message-ID: <resent.2@example.org>\n"
          b"Received: from mx by host; Sun, 22 Nov 2026 06:30:00 +0000\n"
          b"Resent-From: old@example.org\n"
          b"Resent-To: old-to@x.org\n"
          b"Resent-Bcc: old-bcc@x.org\n"
          b"From: Orig <orig@example.org>\n"
          b"To: to@x.org\n"
          b"Cc: cc@x.org\n"
          b"Bcc: bcc@x.org\n"
          b"Subject: resent\n"
          + DATE_ID +
          b"\nbody\n")


def test_t_resent_topmost_block(smtps, config_for, run):
    """-t with Resent-* fields: the topmost block's Resent-To/Cc/Bcc, not
    To/Cc/Bcc (sendmail 8); no Bcc or Resent-Bcc is transmitted."""
    r = run(["-t"], RESENT, config_for(smtps))
    expected = b"".join(l for l in RESENT.splitlines(keepends=True)
                        if not l.lower().startswith((b"bcc:",
                                                     b"resent-bcc:")))
    assert_sent(r, smtps, ["r1@x.org", "r2@x.org", "r3@x.org", "r4@x.org"],
                R.crlf(expected))


def test_mbox_from_line_dropped(smtps, config_for, run):
    """A leading mbox "From " line (git format-patch output, a saved
    mailbox) is not transmitted and does not start the body."""
    msg = (b"From 1111111111111111111111111111111111111111 Mon Sep 17 "
           b"00:00:00 2001\n"
           b"From: Joe <joe@example.org>\n"
           b"To: a@x.org\n"
           b"Subject: [PATCH] x\n" + DATE_ID +
           b"\nFrom the body, kept\n")
    r = run(["-t"], msg, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(msg.split(b"\n", 1)[1]))


def test_t_without_any_recipient_is_usage_error(smtps, config_for, run):
    msg = b"From: joe@example.org\nSubject: nobody\n\nbody\n"
    r = run(["-t"], msg, config_for(smtps))
    assert r.returncode == 64, show(r)
    smtps.settle()
    assert smtps.connections == 0


@pytest.mark.parametrize("name", ["(Cron Daemon)", "Joe Q. Public",
                                  "Doe, John", 'Say "hi"', "Jörg Müller"],
                         ids=["parens", "dots", "comma", "quotes", "utf8"])
def test_F_name_needing_quotes_makes_a_valid_from(smtps, config_for, run,
                                                  name):
    """The built From: must parse back to the same display name."""
    msg = b"To: a@x.org\nSubject: s\n\nbody\n"
    r = run(["-F", name, "a@x.org"], msg, config_for(smtps))
    m = one_message(r, smtps)
    got = m.content
    # RFC 2047 encoded words, or raw UTF-8 (RFC 6532) announced with
    # SMTPUTF8 on MAIL FROM (DESIGN 4)
    if any(b >= 0x80 for b in got):
        assert "SMTPUTF8" in m.mail_options, (m.mail_options, got)
    parsed = email.message_from_string(got.decode("utf-8"),
                                       policy=email.policy.default)
    addr, = parsed["From"].addresses
    assert (addr.display_name, addr.addr_spec) == (name, R.FROM), got
    assert got.startswith(b"To: a@x.org\r\nSubject: s\r\nFrom: ")
    assert got.endswith(b"\r\n\r\nbody\r\n")


def test_date_local_time_numeric_zone_english(smtps, config_for, run, env):
    """Date: is local time with its numeric zone, with English names
    whatever the locale."""
    e = dict(env, TZ="NPT-5:45", LC_ALL="de_DE.UTF-8", LANG="de_DE.UTF-8")
    msg = b"From: joe@example.org\nSubject: s\n\nbody\n"
    r = run(["a@x.org"], msg, config_for(smtps), env=e)
    m = one_message(r, smtps)
    strip_added(m.content)          # the format, and within 2 min of now
    date = [l for l in m.content.split(b"\r\n") if l.startswith(b"Date: ")]
    assert len(date) == 1 and date[0].endswith(b" +0545"), date
