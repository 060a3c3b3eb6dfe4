"""CALLERS.md, one test per row: the exact invocation (argv as written,
through a program called "sendmail", the configuration found where it is
searched for, no -C), the caller's typical headers, and the account set up
as that caller needs it (qualify_domain and/or aliases where it uses bare
local names).  Each asserts exit 0, the envelope, and the bytes the server
received: those stamp adds (Date:, Message-ID:) by format, the rest byte
for byte."""
import os
import subprocess

import pytest

from stamptest import run as R
from stamptest.checks import assert_exit, show, strip_added

ADMIN = "admin@example.net"        # where the aliases send root's mail


@pytest.fixture
def sendmail(stamp, tmp_path):
    """The paths callers run: .../sbin/sendmail and .../lib/sendmail,
    symbolic links to stamp (so argv[0] is "sendmail")."""
    paths = {}
    for d in ("sbin", "lib"):
        os.makedirs(tmp_path / "usr" / d)
        p = tmp_path / "usr" / d / "sendmail"
        os.symlink(stamp, p)
        paths[d] = str(p)
    return paths


@pytest.fixture
def setup(home, certs, tmp_path):
    """setup(server, **keys): the user's stamp.ini (searched for, not
    given with -C) with one account for server; aliases=TEXT writes an
    alias file for it."""
    def make(server, aliases=None, **over):
        if aliases is not None:
            p = tmp_path / "aliases"
            p.write_text(aliases)
            over["aliases"] = str(p)
        cfgdir = os.path.join(home, ".config", "stamp")
        os.makedirs(cfgdir, exist_ok=True)
        R.write_config(os.path.join(cfgdir, "stamp.ini"),
                       R.account(server, certs, **over))
    return make


def call(path, args, msg, env):
    r = R.run_stamp(args, msg, None, env, stamp=path)
    assert_exit(r, 0)
    return r


def received(r, srv, mail_from, rcpts):
    """The one message srv got: its envelope must be as given."""
    srv.settle()
    assert len(srv.messages) == 1, show(r)
    m = srv.messages[0]
    assert m.mail_from == mail_from, show(r)
    assert m.rcpt_tos == rcpts, show(r)
    return m


def assert_content(m, expected, date=True, msgid=True, domain="example.org"):
    """m's content is expected (given with LF line ends) once the Date: and
    Message-ID: that stamp added are checked and taken out."""
    got, msg_id = strip_added(m.content, date=date, msgid=msgid,
                              domain=domain)
    assert got == R.crlf(expected)
    return msg_id


# -- cron and friends: bare local names everywhere ----------------------

CRONIE = (b"From: \"(Cron Daemon)\" <root>\n"
          b"To: root\n"
          b"Subject: Cron <root@host> /usr/local/bin/backup\n"
          b"MIME-Version: 1.0\n"
          b"Content-Type: text/plain; charset=UTF-8\n"
          b"Content-Transfer-Encoding: 8bit\n"
          b"Precedence: bulk\n"
          b"X-Cron-Env: <SHELL=/bin/sh>\n"
          b"X-Cron-Env: <HOME=/root>\n"
          b"X-Cron-Env: <LOGNAME=root>\n"
          b"\n"
          + "backup: 3 files – ünïcode\n.\nlast line\n".encode())


def test_cronie(smtps, setup, sendmail, env):
    """cronie: -t -f root; From: "(Cron Daemon)" <root>.  qualify_domain
    makes every bare name an address of example.org."""
    setup(smtps, qualify_domain="example.org")
    r = call(sendmail["sbin"], ["-FCronDaemon", "-i", "-odi", "-oem", "-oi",
                                "-t", "-f", "root"], CRONIE, env)
    m = received(r, smtps, "root@example.org", ["root@example.org"])
    assert_content(m, CRONIE.replace(
        b"<root>\n", b"<root@example.org>\n", 1).replace(
        b"To: root\n", b"To: root@example.org\n"))


DEBIAN_CRON = (b"From: root (Cron Daemon)\n"
               b"To: root\n"
               b"Subject: Cron <root@host> test -x /usr/sbin/anacron\n"
               b"MIME-Version: 1.0\n"
               b"Content-Type: text/plain; charset=UTF-8\n"
               b"Content-Transfer-Encoding: 8bit\n"
               b"X-Cron-Env: <SHELL=/bin/sh>\n"
               b"X-Cron-Env: <MAILTO=root>\n"
               b"\n"
               + "ünïcode output\n".encode())


def test_debian_cron(smtps, setup, sendmail, env):
    """Debian cron: MAILTO=root on argv, no -t, no -f.  The alias file
    sends root's mail to the admin; the sender is the account's from."""
    setup(smtps, aliases="# system mail\nroot: %s\n" % ADMIN)
    r = call(sendmail["sbin"], ["-FCronDaemon", "-i", "-B8BITMIME", "-oem",
                                "root"], DEBIAN_CRON, env)
    m = received(r, smtps, R.FROM, [ADMIN])
    # The comment becomes the display name of the envelope sender.
    assert_content(m, DEBIAN_CRON.replace(
        b"From: root (Cron Daemon)\n",
        b"From: Cron Daemon <joe@example.org>\n"))


ANACRON = (b"From: Anacron <root>\n"
           b"To: root\n"
           b"MIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=\"UTF-8\"\n"
           b"Subject: Anacron job 'cron.daily' on host\n"
           b"\n"
           b"/etc/cron.daily/logrotate:\n"
           b".\n"
           b"error: more output after a lone dot\n"
           b".\n")


def test_anacron(smtps, setup, sendmail, env):
    """anacron: no -i, so a line with only "." must not end the message."""
    setup(smtps, qualify_domain="example.org")
    r = call(sendmail["sbin"], ["-FAnacron", "-odi", "root"], ANACRON, env)
    m = received(r, smtps, R.FROM, ["root@example.org"])
    assert_content(m, ANACRON.replace(b"<root>", b"<joe@example.org>", 1)
                   .replace(b"To: root\n", b"To: root@example.org\n"))


AT = (b"Subject: Output from your job        7\n"
      b"To: root\n"
      b"\n"
      b"job output\n")


def test_atd(smtps, setup, sendmail, env):
    """atd: `sendmail -i USER`, no From: at all: stamp adds one."""
    setup(smtps, aliases="default: %s\n" % ADMIN)
    r = call(sendmail["sbin"], ["-i", "root"], AT, env)
    m = received(r, smtps, R.FROM, [ADMIN])
    assert_content(m, AT.replace(b"\n\n", b"\nFrom: joe@example.org\n\n",
                                 1))


SYSTEMD_CRON = (b"From: root (systemd-cron)\n"
                b"To: root\n"
                b"Subject: [host] job cron-daily-backup.service failed\n"
                b"MIME-Version: 1.0\n"
                b"Content-Type: text/plain; charset=UTF-8\n"
                b"Content-Transfer-Encoding: binary\n"
                b"Auto-Submitted: auto-generated\n"
                b"\n"
                + "● cron-daily-backup.service – failed\n".encode())


def test_systemd_cron(smtps, setup, sendmail, env):
    setup(smtps, qualify_domain="example.org")
    r = call(sendmail["sbin"], ["-i", "-B", "8BITMIME", "root"],
             SYSTEMD_CRON, env)
    m = received(r, smtps, R.FROM, ["root@example.org"])
    assert_content(m, SYSTEMD_CRON.replace(
        b"From: root (systemd-cron)\n",
        b"From: systemd-cron <joe@example.org>\n").replace(
        b"To: root\n", b"To: root@example.org\n"))


# -- mail user agents: qualified addresses, their own Date/Message-ID ----

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
        b"User-Agent: NeoMutt/20220429\n"
        b"\n"
        + "Grüße\n-- \nJoe\n".encode())


def test_mutt(smtps, setup, sendmail, env):
    """mutt/neomutt: `--` before the recipients, Bcc header present (and
    never transmitted).  DSN parameters are not asserted here."""
    setup(smtps)
    r = call(sendmail["sbin"], ["-oem", "-oi", "-B8BITMIME", "-f",
                                "joe@example.org", "-N", "success,delay",
                                "-R", "hdrs", "--", "a@x.org", "b@y.org",
                                "hidden@w.org"], MUTT, env)
    m = received(r, smtps, "joe@example.org",
                 ["a@x.org", "b@y.org", "hidden@w.org"])
    assert_content(m, MUTT.replace(b"Bcc: hidden@w.org\n", b""),
                   date=False, msgid=False)


GIT_RCPTS = ["a@x.org", "b@y.org", "c@z.org"] + [
    "dev%d@lists.example.org" % i for i in range(1, 13)]

GIT = (b"From: Joe <joe@example.org>\n"
       b"To: a@x.org\n"
       b"Cc: b@y.org,\n\tc@z.org\n"
       b"Subject: [PATCH v2 1/3] fix dots\n"
       b"Date: Sat, 22 Nov 2025 06:00:00 +0000\n"
       b"Message-ID: <20251122060000.1234-1-joe@example.org>\n"
       b"X-Mailer: git-send-email 2.39.5\n"
       b"MIME-Version: 1.0\n"
       b"Content-Transfer-Encoding: 8bit\n"
       b"\n"
       b"From a quoted mbox line in the commit message\n"
       b"---\n x | 4 ++--\n\n"
       b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,4 +1,4 @@\n"
       b" .\n-.old\n+.new\n..\n.\n"
       b"From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00"
       b" 2001\n"
       b"-- \n2.39.5\n")


def test_git_send_email(smtps, setup, sendmail, env):
    """git send-email: through `sh -c`, no `--`, many recipients, patch
    lines starting with "." and "From "."""
    setup(smtps)
    e = dict(env, PATH=os.path.dirname(sendmail["sbin"]) + ":" +
             env["PATH"])
    r = subprocess.run(["sh", "-c", 'sendmail -i -f joe@example.org "$@"',
                        "sendmail"] + GIT_RCPTS, input=GIT, env=e,
                       capture_output=True, timeout=30)
    assert_exit(r, 0)
    m = received(r, smtps, "joe@example.org", GIT_RCPTS)
    assert_content(m, GIT, date=False, msgid=False)


SNAIL = (b"Date: Sat, 22 Nov 2025 06:00:00 +0000\n"
         b"To: a@x.org\n"
         b"Subject: from s-nail\n"
         b"User-Agent: s-nail v14.9.24\n"
         b"MIME-Version: 1.0\n"
         b"Content-Type: text/plain; charset=us-ascii\n"
         b"Content-Transfer-Encoding: 7bit\n"
         b"\n"
         b"hello\n")


def test_s_nail(smtps, setup, sendmail, env):
    """s-nail/mailx: -m, -v (the dialogue on stderr), -F NAME for the From:
    stamp adds, -f ADDR, `--`."""
    setup(smtps)
    r = call(sendmail["sbin"], ["-i", "-m", "-v", "-F", "Joe Q. Public",
                                "-f", "joe@example.org", "--", "a@x.org"],
             SNAIL, env)
    assert b"MAIL FROM:<joe@example.org>" in r.stderr, show(r)
    m = received(r, smtps, "joe@example.org", ["a@x.org"])
    assert_content(m, SNAIL.replace(
        b"\n\n", b"\nFrom: \"Joe Q. Public\" <joe@example.org>\n\n", 1),
        date=False)


# -- system tools ------------------------------------------------------

MDADM = (b"From: mdadm monitoring <root>\n"
         b"To: root\n"
         b"Subject: Fail event on /dev/md0:host\n"
         b"\n"
         b"This is an automatically generated mail message from mdadm\n"
         b"running on host\n"
         b"\n"
         b"A Fail event had been detected on md device /dev/md0.\n")


def test_mdadm(smtps, setup, sendmail, env):
    """mdadm: /usr/lib/sendmail, glued -f, no -i."""
    setup(smtps, qualify_domain="example.org")
    r = call(sendmail["lib"], ["-t", "-fmdadm@example.org"], MDADM, env)
    m = received(r, smtps, "mdadm@example.org", ["root@example.org"])
    assert_content(m, MDADM.replace(b"<root>", b"<mdadm@example.org>", 1)
                   .replace(b"To: root\n", b"To: root@example.org\n"))


UU = (b"Content-Type: text/plain; charset=\"utf-8\"\n"
      b"MIME-Version: 1.0\n"
      b"Content-Transfer-Encoding: 8bit\n"
      b"Subject: [host] unattended-upgrades result 'All upgrades "
      b"installed'\n"
      b"From: root\n"
      b"To: root\n"
      b"Auto-Submitted: auto-generated\n"
      b"\n"
      b"Packages that were upgraded:\n libc6\n")


def test_unattended_upgrades(smtps, setup, sendmail, env):
    setup(smtps, aliases="root: %s\n" % ADMIN)
    r = call(sendmail["sbin"], ["-oi", "-t"], UU, env)
    m = received(r, smtps, R.FROM, [ADMIN])
    assert_content(m, UU.replace(b"From: root\n",
                                 b"From: root <joe@example.org>\n"))


LOGWATCH = (b"To: root\n"
            b"From: Logwatch\n"
            b"Subject: Logwatch for host (Linux)\n"
            b"Auto-Submitted: auto-generated\n"
            b"MIME-Version: 1.0\n"
            b"Content-Transfer-Encoding: 7bit\n"
            b"Content-Type: text/plain; charset=\"UTF-8\"\n"
            b"\n"
            b" ################### Logwatch 7.8 ####################\n")


def test_logwatch(smtps, setup, sendmail, env):
    """logwatch: MailFrom = Logwatch, a bare word as From: address."""
    setup(smtps, qualify_domain="example.org")
    r = call(sendmail["sbin"], ["-t"], LOGWATCH, env)
    m = received(r, smtps, R.FROM, ["root@example.org"])
    assert_content(m, LOGWATCH.replace(
        b"From: Logwatch\n", b"From: Logwatch <joe@example.org>\n").replace(
        b"To: root\n", b"To: root@example.org\n"))


# -- web applications ------------------------------------------------------

PHP = (b"To: a@x.org\n"
       b"Subject: contact form\n"
       b"From: webmaster@example.org\n"
       b"X-Mailer: PHP/8.2.7\n"
       b"\n"
       b"Hello from PHP\r\n")      # PHP on Linux often mixes line ends


def test_php_mail(smtps, setup, sendmail, env):
    setup(smtps)
    r = call(sendmail["sbin"], ["-t", "-i"], PHP, env)
    m = received(r, smtps, R.FROM, ["a@x.org"])
    assert_content(m, PHP)


PHPMAILER = (b"Date: Sat, 22 Nov 2025 06:00:00 +0000\n"
             b"To: Customer <a@x.org>\n"
             b"From: Shop <shop@example.org>\n"
             b"Reply-To: Support <support@example.org>\n"
             b"Subject: Your order\n"
             b"Message-ID: <pNu4WZbq3nQ2T9@shop.example.org>\n"
             b"X-Mailer: PHPMailer 6.8.0 (https://github.com/PHPMailer/"
             b"PHPMailer)\n"
             b"MIME-Version: 1.0\n"
             b"Content-Type: text/plain; charset=iso-8859-1\n"
             b"\n"
             b"Thank you.\n")


def test_phpmailer(smtps, setup, sendmail, env):
    setup(smtps)
    r = call(sendmail["sbin"], ["-oi", "-fbounce@example.org", "-t"],
             PHPMAILER, env)
    m = received(r, smtps, "bounce@example.org", ["a@x.org"])
    assert_content(m, PHPMAILER, date=False, msgid=False)


SYMFONY = (b"From: App <app@example.org>\n"
           b"To: a@x.org\n"
           b"Cc: b@y.org\n"
           b"Subject: Welcome\n"
           b"Message-ID: <0f3c1c2d8e@example.org>\n"
           b"MIME-Version: 1.0\n"
           b"Date: Sat, 22 Nov 2025 06:00:00 +0000\n"
           b"Content-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: quoted-printable\n"
           b"\n"
           b"Gr=C3=BC=C3=9Fe\n")


def test_symfony_mailer(smtps, setup, sendmail, env):
    """symfony/mailer, SwiftMailer with `-t` (their -bs default is tested
    with -bs)."""
    setup(smtps)
    r = call(sendmail["sbin"], ["-t"], SYMFONY, env)
    m = received(r, smtps, R.FROM, ["a@x.org", "b@y.org"])
    assert_content(m, SYMFONY, date=False, msgid=False)
