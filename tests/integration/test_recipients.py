"""-t: recipients from To/Cc/Bcc; Bcc never transmitted; duplicates
removed; a missing From: is added."""
import email
import email.policy

import pytest

from stamptest import run as R
from stamptest.checks import assert_sent, one_message, show

HEADERS_T = (b"From: Joe <joe@example.org>\n"
             b"To: \"A\" <a@x.org>, b@y.org\n"
             b"Cc: c@z.org\n"
             b"Bcc: d@w.org\n"
             b"Subject: -t test\n"
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
           b"\n"
           b"Bcc: this line is in the body and stays\n")
    r = run(["-t"], msg, config_for(smtps))
    expected = R.crlf(b"From: joe@example.org\n"
                      b"To: a@x.org\n"
                      b"Subject: folded bcc\n"
                      b"\n"
                      b"Bcc: this line is in the body and stays\n")
    assert_sent(r, smtps, ["a@x.org", "d@w.org", "e@v.org", "f@u.org"],
                expected)


def test_bcc_removed_without_t(smtps, config_for, run):
    """mutt passes the Bcc recipients on argv and leaves the Bcc header in:
    it must still not be transmitted."""
    msg = (b"From: joe@example.org\nTo: a@x.org\nBCC: d@w.org\n"
           b"Subject: s\n\nbody\n")
    r = run(["-oem", "-oi", "--", "a@x.org", "d@w.org"], msg,
            config_for(smtps))
    expected = R.crlf(b"From: joe@example.org\nTo: a@x.org\n"
                      b"Subject: s\n\nbody\n")
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
           b"Subject: groups\n\nbody\n")
    r = run(["-t"], msg, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org", "b@y.org", "c@z.org"], R.crlf(msg))


def test_from_header_added_when_missing(smtps, config_for, run):
    msg = b"To: a@x.org\nSubject: no from\n\nbody\n"
    r = run(["a@x.org"], msg, config_for(smtps))
    got = one_message(r, smtps).content
    # "From: <sender>": the address in angle brackets or bare
    assert got in (
        R.crlf(b"To: a@x.org\nSubject: no from\nFrom: <joe@example.org>\n"
               b"\nbody\n"),
        R.crlf(b"To: a@x.org\nSubject: no from\nFrom: joe@example.org\n"
               b"\nbody\n")), got


def test_from_header_added_with_F(smtps, config_for, run):
    msg = b"To: a@x.org\nSubject: no from\n\nbody\n"
    r = run(["-F", "Cron Daemon", "a@x.org"], msg, config_for(smtps))
    got = one_message(r, smtps).content
    # "From: NAME <sender>" (a quoted display name is as good)
    assert got in (
        R.crlf(b"To: a@x.org\nSubject: no from\n"
               b"From: Cron Daemon <joe@example.org>\n\nbody\n"),
        R.crlf(b"To: a@x.org\nSubject: no from\n"
               b"From: \"Cron Daemon\" <joe@example.org>\n\nbody\n")), got


def test_existing_from_header_kept_with_F(smtps, config_for, run):
    msg = b"From: Real <real@example.org>\nSubject: s\n\nbody\n"
    r = run(["-F", "Ignored Name", "a@x.org"], msg, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(msg))


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
