"""CALLERS.md: the invocations real programs use, with their typical
headers, must deliver exactly what the caller meant.  (Addresses are
qualified here: unqualified ones need a domain/alias setting.)"""
import pytest

from stamptest import run as R
from stamptest.checks import assert_sent, one_message

CRON = (b"From: \"(Cron Daemon)\" <root@example.org>\n"
        b"To: root@example.org\n"
        b"Subject: Cron <root@host> run-parts /etc/cron.daily\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=UTF-8\n"
        b"Content-Transfer-Encoding: 8bit\n"
        b"X-Cron-Env: <SHELL=/bin/sh>\n"
        b"\n"
        + "run-parts: /etc/cron.daily/x exited with return code 1 – ünïcode\n"
        .encode() + b".\nlast line\n")

DEBIAN_CRON = (b"From: root (Cron Daemon)\n"
               b"To: root\n"
               b"Subject: Cron <root@host> echo hi\n"
               b"MIME-Version: 1.0\n"
               b"Content-Type: text/plain; charset=UTF-8\n"
               b"Content-Transfer-Encoding: 8bit\n"
               b"\n"
               b"hi\n")

ANACRON = (b"From: root@example.org\nTo: root@example.org\n"
           b"Subject: Anacron job 'cron.daily' on host\n\n"
           b"/etc/cron.daily/logrotate:\n.\nerror: more output after a dot\n")

AT = (b"Subject: Output from your job 42\nTo: root\n\n"
      b"job output\n")

SYSTEMD_CRON = (b"From: root (systemd-cron)\nTo: root@example.org\n"
                b"Subject: [host] job failed\n"
                b"Content-Type: text/plain; charset=utf-8\n"
                b"Content-Transfer-Encoding: binary\n\n"
                + "● job.service – failed\n".encode())

MUTT = (b"Date: Sat, 22 Nov 2025 06:00:00 +0000\n"
        b"From: Joe <joe@example.org>\n"
        b"To: a@x.org\n"
        b"Cc: b@y.org\n"
        b"Bcc: hidden@w.org\n"
        b"Subject: from mutt\n"
        b"Message-ID: <20251122060000.GA1@example.org>\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Disposition: inline\n"
        b"Content-Transfer-Encoding: 8bit\n"
        b"\n"
        + "Grüße\n-- \nJoe\n".encode())
MUTT_SENT = MUTT.replace(b"Bcc: hidden@w.org\n", b"")

GIT = (b"From: Joe <joe@example.org>\n"
       b"To: a@x.org\nCc: b@y.org, c@z.org\n"
       b"Subject: [PATCH] fix dots\n"
       b"Date: Sat, 22 Nov 2025 06:00:00 +0000\n"
       b"Message-Id: <20251122-1-joe@example.org>\n"
       b"X-Mailer: git-send-email 2.39.5\n"
       b"MIME-Version: 1.0\n"
       b"Content-Transfer-Encoding: 8bit\n"
       b"\n"
       b"From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00"
       b" 2001\n"
       b"---\n x | 2 +-\n\n"
       b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n"
       b" .\n-.old\n+.new\n..\n.\n-- \n2.39.5\n")

MDADM = (b"From: mdadm monitoring <root@example.org>\n"
         b"To: root@example.org\n"
         b"Subject: Fail event on /dev/md0:host\n\n"
         b"This is an automatically generated mail message.\n")

UU = (b"From: root@example.org\nTo: root@example.org\n"
      b"Subject: [host] unattended-upgrades result 'All upgrades installed'\n"
      b"Content-Type: text/plain; charset=\"utf-8\"\n"
      b"Content-Transfer-Encoding: 8bit\n\n"
      b"Packages that were upgraded:\n libc6\n")

PHP = (b"To: a@x.org\nSubject: contact form\n"
       b"From: webmaster@example.org\nX-Mailer: PHP/8.2\n\n"
       b"Hello from PHP\r\n")     # PHP on Linux often mixes line ends

ROWS = [
    # id, argv, message, envelope sender, recipients, expected content
    ("cronie", ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f",
                "root@example.org"], CRON, "root@example.org",
     ["root@example.org"], R.crlf(CRON)),
    ("debian-cron", ["-FCronDaemon", "-i", "-B8BITMIME", "-oem",
                     "root@example.org"], DEBIAN_CRON, R.FROM,
     ["root@example.org"], R.crlf(DEBIAN_CRON)),
    ("anacron", ["-FAnacron", "-odi", "root@example.org"], ANACRON, R.FROM,
     ["root@example.org"], R.crlf(ANACRON)),
    ("systemd-cron", ["-i", "-B", "8BITMIME", "root@example.org"],
     SYSTEMD_CRON, R.FROM, ["root@example.org"], R.crlf(SYSTEMD_CRON)),
    ("mutt", ["-oem", "-oi", "-f", "joe@example.org", "--", "a@x.org"],
     MUTT, "joe@example.org", ["a@x.org"], R.crlf(MUTT_SENT)),
    ("mutt-full", ["-oem", "-oi", "-B8BITMIME", "-f", "joe@example.org",
                   "-N", "success,delay", "-R", "hdrs", "--",
                   "a@x.org", "b@y.org", "hidden@w.org"],
     MUTT, "joe@example.org", ["a@x.org", "b@y.org", "hidden@w.org"],
     R.crlf(MUTT_SENT)),
    ("git-send-email", ["-i", "-f", "joe@example.org", "a@x.org", "b@y.org",
                        "c@z.org"], GIT, "joe@example.org",
     ["a@x.org", "b@y.org", "c@z.org"], R.crlf(GIT)),
    ("s-nail", ["-i", "-m", "-F", "Joe Q", "-f", "joe@example.org", "--",
                "a@x.org"], MUTT_SENT, "joe@example.org", ["a@x.org"],
     R.crlf(MUTT_SENT)),
    ("mdadm", ["-t", "-fmdadm@example.org"], MDADM, "mdadm@example.org",
     ["root@example.org"], R.crlf(MDADM)),
    ("unattended-upgrades", ["-oi", "-t"], UU, R.FROM, ["root@example.org"],
     R.crlf(UU)),
    ("logwatch", ["-t"], UU, R.FROM, ["root@example.org"], R.crlf(UU)),
    ("php-mail", ["-t", "-i"], PHP, R.FROM, ["a@x.org"], R.crlf(PHP)),
    ("phpmailer", ["-oi", "-fbounce@example.org", "-t"], PHP,
     "bounce@example.org", ["a@x.org"], R.crlf(PHP)),
]


@pytest.mark.parametrize("argv,msg,sender,rcpts,content",
                         [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_caller(smtps, config_for, run, argv, msg, sender, rcpts, content):
    r = run(argv, msg, config_for(smtps))
    assert_sent(r, smtps, rcpts, content, mail_from=sender)


def test_at_without_from_header(smtps, config_for, run):
    """atd: `sendmail -i USER`, no From: header -> one is added."""
    r = run(["-i", "root@example.org"], AT, config_for(smtps))
    m = one_message(r, smtps)
    assert m.rcpt_tos == ["root@example.org"]
    assert m.content in (
        R.crlf(AT.replace(b"\n\n", b"\nFrom: <joe@example.org>\n\n", 1)),
        R.crlf(AT.replace(b"\n\n", b"\nFrom: joe@example.org\n\n", 1)))
