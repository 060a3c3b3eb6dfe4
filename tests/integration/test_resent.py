"""-t with a Resent-* block (RFC 5322 3.6.6): the block that is resent
must have a Resent-Date: and should have a Resent-Message-ID:; stamp adds
them, at the end of the topmost block, when they are missing."""
import email.utils
import re

from stamptest.checks import one_message

MSGID = rb"<\d{14}\.\d+\.[0-9a-f]{16}@example\.org>"

RESENT = (b"Resent-From: Joe <joe@example.org>\n"
          b"Resent-To: r1@x.org\n"
          b"Resent-Bcc: r2@x.org\n"
          b"Received: from mx by host; Sun, 22 Nov 2026 06:30:00 +0000\n"
          b"Resent-From: old@example.org\n"
          b"Resent-Date: Sat, 21 Nov 2026 07:00:00 +0000\n"
          b"From: Orig <orig@example.org>\n"
          b"To: to@x.org\n"
          b"Subject: forwarded\n"
          b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
          b"Message-ID: <orig.1@example.org>\n"
          b"\nbody\n")


def test_resent_date_and_id_added(smtps, config_for, run):
    r = run(["-t", "-i"], RESENT, config_for(smtps))
    m = one_message(r, smtps)
    assert sorted(m.rcpt_tos) == ["r1@x.org", "r2@x.org"]
    pat = (rb"Resent-From: Joe <joe@example.org>\r\n"
           rb"Resent-To: r1@x.org\r\n"
           rb"Resent-Date: ([^\r\n]+)\r\n"
           rb"Resent-Message-ID: (" + MSGID + rb")\r\n"
           rb"Received: from mx by host; Sun, 22 Nov 2026 06:30:00 \+0000\r\n"
           rb"Resent-From: old@example.org\r\n"
           rb"Resent-Date: Sat, 21 Nov 2026 07:00:00 \+0000\r\n"
           rb"From: Orig <orig@example.org>\r\n"
           rb"To: to@x.org\r\n"
           rb"Subject: forwarded\r\n"
           rb"Date: Sun, 22 Nov 2026 06:00:00 \+0000\r\n"
           rb"Message-ID: <orig.1@example.org>\r\n"
           rb"\r\nbody\r\n")
    got = re.fullmatch(pat, m.content)
    assert got, m.content
    assert email.utils.parsedate_to_datetime(got.group(1).decode())
    assert b"r2@x.org" not in m.content          # Resent-Bcc never goes


def test_resent_fields_kept_when_present(smtps, config_for, run):
    msg = RESENT.replace(
        b"Resent-Bcc: r2@x.org\n",
        b"Resent-Date: Sun, 22 Nov 2026 07:00:00 +0000\n"
        b"Resent-Message-ID: <resent.2@example.org>\n")
    r = run(["-t"], msg, config_for(smtps))
    m = one_message(r, smtps)
    assert m.content == msg.replace(b"\n", b"\r\n")


def test_no_resent_fields_without_t(smtps, config_for, run):
    r = run(["a@x.org"], RESENT, config_for(smtps))
    m = one_message(r, smtps)
    assert b"Resent-Message-ID" not in m.content
    assert m.content.count(b"Resent-Date:") == 1
