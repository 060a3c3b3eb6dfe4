"""Unqualified addresses (system mail: "root"), set_from_header, and the
account chosen by -f (stamp.ini(5)): the built binary end to end."""
import pytest

from stamptest import run as R
from stamptest.checks import assert_exit, assert_sent, error_line, \
    one_message, show, strip_added

DATE_ID = (b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
           b"Message-ID: <unq.1@example.org>\n")

CRON = (b"From: \"(Cron Daemon)\" <root>\n"
        b"To: root\n"
        b"Subject: Cron <root@host> true\n"
        + DATE_ID +
        b"\n"
        b"output\n")

CRON_ARGS = ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"]


@pytest.fixture
def aliases(tmp_path):
    def write(text):
        p = tmp_path / "aliases"
        p.write_text(text)
        return str(p)
    return write


def test_unqualified_f_becomes_account_from(smtps, config_for, run,
                                            aliases):
    """Without qualify_domain, cronie's `-f root` gives way to the
    account's from (said under -v); root's mail follows the alias."""
    cfg = config_for(smtps, aliases=aliases("root: admin@example.net\n"))
    r = run(["-v"] + CRON_ARGS, CRON, cfg)
    assert_sent(r, smtps, ["admin@example.net"], R.crlf(
        CRON.replace(b"<root>", b"<joe@example.org>", 1)))
    err = r.stderr.decode()
    assert "sender root is unqualified" in err and R.FROM in err, show(r)
    assert "recipient root: alias" in err, show(r)


def test_alias_target_qualified(smtps, config_for, run, aliases):
    """An alias target that is unqualified gets qualify_domain; targets
    are not looked up again (one level)."""
    cfg = config_for(smtps, qualify_domain="example.org",
                     aliases=aliases("root: ops, a@x.org\n"
                                     "ops: never@x.org\n"
                                     "default: catch@x.org\n"))
    r = run(["root", "mhmd", "b@y.org"], CRON, cfg)
    m = one_message(r, smtps)
    assert m.rcpt_tos == ["ops@example.org", "a@x.org", "catch@x.org",
                          "b@y.org"]


def test_unqualified_without_settings_goes_as_is(smtps, config_for, run):
    """No qualify_domain, no aliases, no from to fall back on: the server
    decides (this one takes anything)."""
    cfg = config_for(smtps, from_=None)
    r = run(["-f", "root", "root"], CRON, cfg)
    assert_sent(r, smtps, ["root"], R.crlf(CRON), mail_from="root")


def test_aliases_file_error(smtps, config_for, run, aliases):
    path = aliases("root: a@x.org\nbogus line\n")
    r = run(["root"], CRON, config_for(smtps, aliases=path))
    assert_exit(r, 78)
    assert error_line(r) == ("stamp: %s:2: expected 'name: address, ...'"
                             % path)
    smtps.settle()
    assert smtps.connections == 0


def test_aliases_read_only_when_needed(smtps, config_for, run, tmp_path):
    cfg = config_for(smtps, aliases=str(tmp_path / "missing"))
    r = run(["a@x.org"], CRON, cfg)
    assert_exit(r, 0)
    r = run(["root"], CRON, cfg)
    assert_exit(r, 78)
    assert "cannot open aliases" in error_line(r)


def test_bad_qualify_domain(smtps, config_for, run):
    r = run(["root"], CRON, config_for(smtps, qualify_domain="@x"))
    assert_exit(r, 78)
    assert "qualify_domain must be a domain name" in error_line(r)


@pytest.mark.parametrize("mode,sent", [
    ("auto", b"From: Other <other@example.net>\n"),
    ("on", b"From: Other <joe@example.org>\n"),
    ("off", b"From: Other <other@example.net>\n"),
])
def test_set_from_header_qualified(smtps, config_for, run, mode, sent):
    msg = (b"From: Other <other@example.net>\nTo: a@x.org\n" + DATE_ID +
           b"\nbody\n")
    r = run(["a@x.org"], msg, config_for(smtps, set_from_header=mode))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(
        msg.replace(b"From: Other <other@example.net>\n", sent)))


@pytest.mark.parametrize("mode,sent", [
    ("auto", b"From: root <joe@example.org>\n"),
    ("on", b"From: root <joe@example.org>\n"),
    ("off", b"From: root\n"),
])
def test_set_from_header_unqualified(smtps, config_for, run, mode, sent):
    msg = b"From: root\nTo: a@x.org\n" + DATE_ID + b"\nbody\n"
    r = run(["a@x.org"], msg, config_for(smtps, set_from_header=mode))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(
        msg.replace(b"From: root\n", sent)))


def test_set_from_header_off_adds_no_from(smtps, config_for, run):
    msg = b"To: a@x.org\nSubject: s\n\nbody\n"
    r = run(["a@x.org"], msg, config_for(smtps, set_from_header="off"))
    m = one_message(r, smtps)
    got, _ = strip_added(m.content)
    assert got == R.crlf(msg)


# -- the account chosen by -f ------------------------------------------


def two_accounts(make_server, write_config, certs, **extra):
    """[first] (the default) on one server, [second] on another."""
    a, b = make_server("smtps"), make_server("smtps")
    first = R.account(a, certs, from_="joe@example.org")["test"]
    second = R.account(b, certs, **extra)["test"]
    cfg = write_config({"defaults": {"default_account": "first"},
                        "first": first, "second": second})
    return a, b, cfg


@pytest.mark.parametrize("sender", [
    "bob@lists.example", "BOB@Lists.Example", "bob+x@lists.example",
    "<bob@lists.example>"])
def test_account_by_sender_pattern(make_server, write_config, certs, run,
                                   sender):
    a, b, cfg = two_accounts(make_server, write_config, certs,
                             from_="*@lists.example")
    r = run(["-f", sender, "x@y.org"], CRON, cfg)
    m = one_message(r, b)
    assert m.mail_from == sender.strip("<>")
    a.settle()
    assert a.connections == 0


def test_account_by_sender_detail(make_server, write_config, certs, run):
    a, b, cfg = two_accounts(make_server, write_config, certs,
                             from_="ann@example.com")
    r = run(["-f", "ann+lists@example.com", "x@y.org"], CRON, cfg)
    assert one_message(r, b).mail_from == "ann+lists@example.com"


def test_account_by_sender_no_match_is_default(make_server, write_config,
                                               certs, run):
    a, b, cfg = two_accounts(make_server, write_config, certs,
                             from_="ann@example.com")
    r = run(["-f", "root", "x@y.org"], CRON, cfg)
    assert one_message(r, a).mail_from == "joe@example.org"
    b.settle()
    assert b.connections == 0


def test_pattern_from_without_f(make_server, write_config, certs, run):
    a, b, cfg = two_accounts(make_server, write_config, certs,
                             from_="*@lists.example")
    r = run(["-a", "second", "x@y.org"], CRON, cfg)
    assert_exit(r, 78)
    line = error_line(r)
    assert "from \"*@lists.example\" is a pattern" in line, line
    assert "pass -f" in line, line


def test_header_addresses_qualified(smtps, config_for, run):
    """qualify_domain also qualifies the unqualified addresses of To:,
    Cc: and Reply-To: (the From: was already), keeping display names,
    comments and groups; Bcc: still never goes; other fields as they
    were."""
    msg = (b"From: \"(Cron Daemon)\" <root>\n"
           b"To: \"Ops Team\" <ops>, root (admin)\n"
           b"Cc: staff: bob, carol@x.org;\n"
           b"Reply-To: noreply\n"
           b"Bcc: hidden\n"
           b"X-Mailer: root\n"
           + DATE_ID + b"\nbody\n")
    cfg = config_for(smtps, qualify_domain="example.org")
    r = run(["-t", "-f", "root"], msg, cfg)
    m = one_message(r, smtps)
    assert m.mail_from == "root@example.org"
    assert sorted(m.rcpt_tos) == sorted([
        "ops@example.org", "root@example.org", "bob@example.org",
        "carol@x.org", "hidden@example.org"])
    assert m.content == R.crlf(
        b"From: \"(Cron Daemon)\" <root@example.org>\n"
        b"To: \"Ops Team\" <ops@example.org>, root@example.org (admin)\n"
        b"Cc: staff: bob@example.org, carol@x.org;\n"
        b"Reply-To: noreply@example.org\n"
        b"X-Mailer: root\n"
        + DATE_ID + b"\nbody\n")


def test_header_addresses_kept_without_qualify_domain(smtps, config_for,
                                                      run):
    """Without qualify_domain, To: and Cc: go as they were."""
    msg = b"To: root (admin)\nCc: ops\n" + DATE_ID + b"\nbody\n"
    r = run(["a@x.org"], msg, config_for(smtps))
    m = one_message(r, smtps)
    content, _ = strip_added(m.content, date=False, msgid=False)
    assert content == R.crlf(msg.replace(
        b"\n\n", b"\nFrom: %s\n\n" % R.FROM.encode(), 1))
