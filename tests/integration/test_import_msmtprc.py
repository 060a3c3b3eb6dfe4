"""stamp --import-msmtprc: realistic msmtp configurations (Gmail, Fastmail,
several accounts with inheritance, passwordeval, the keyring) are printed as
a stamp.ini, which stamp then uses to deliver to aiosmtpd over real TLS."""
import configparser
import os
import shutil
import subprocess

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, show


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return str(path)


def fingerprint(pem):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint",
                          "-sha256", "-in", pem], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1]


@pytest.fixture
def import_rc(run, tmp_path):
    """import_rc(text) -> (CompletedProcess, path of the printed stamp.ini,
    path of the msmtprc): writes text as a 0600 msmtprc, imports it, saves
    stdout as a 0600 stamp.ini."""
    def go(text, name="msmtprc"):
        rc = write(tmp_path / name, text)
        r = run(["--import-msmtprc", rc])
        ini = write(tmp_path / "stamp.ini", r.stdout.decode())
        return r, ini, rc
    return go


def warnings(r):
    return r.stderr.decode().splitlines()


def sections(ini):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",),
                                   interpolation=None)
    cp.read(ini)
    return cp


def test_gmail_starttls_passwordeval(starttls, certs, import_rc, run,
                                     tmp_path):
    """The Gmail example of msmtp's documentation: defaults with auth, tls
    and a trust file, passwordeval, a logfile, account default : gmail."""
    pw = write(tmp_path / "gmail.pw", R.PASSWORD + "\n")
    r, ini, rc = import_rc(
        "# Set default values for all following accounts.\n"
        "defaults\n"
        "auth           on\n"
        "tls            on\n"
        "tls_trust_file %s\n"
        "logfile        ~/.msmtp.log\n"
        "\n"
        "# Gmail\n"
        "account        gmail\n"
        "host           localhost\n"
        "port           %d\n"
        "from           %s\n"
        "user           %s\n"
        "passwordeval   \"cat %s\"\n"
        "\n"
        "# Set a default account\n"
        "account default : gmail\n"
        % (certs.ca_pem, starttls.port, R.FROM, R.USER, pw))
    assert_exit(r, 0)
    assert warnings(r) == [
        "stamp: %s:6: logfile ~/.msmtp.log has no equivalent in stamp, not "
        "imported (stamp logs every message to syslog)" % rc], show(r)
    cp = sections(ini)
    assert cp.sections() == ["defaults", "gmail"]
    assert cp["defaults"]["default_account"] == "gmail"
    assert cp["gmail"]["tls"] == "starttls"
    assert cp["gmail"]["password_command"] == "cat " + pw
    r = run(["a@x.org"], SIMPLE, ini)
    assert_sent(r, starttls, ["a@x.org"], R.crlf(SIMPLE))
    assert starttls.verbs()[:4] == ["EHLO", "STARTTLS", "EHLO", "AUTH"]
    assert starttls.sessions[0].tls_at_auth == [True]


def test_fastmail_smtps_fingerprint_password(smtps, certs, import_rc, run):
    """Fastmail's msmtp setup: SMTPS on 465 (tls_starttls off), the
    server pinned by its SHA-256 fingerprint instead of a CA, auth plain,
    the password in the file."""
    r, ini, rc = import_rc(
        "account fastmail\n"
        "host localhost\n"
        "port %d\n"
        "tls on\n"
        "tls_starttls off\n"
        "tls_fingerprint %s\n"
        "auth plain\n"
        "user %s\n"
        "password \"%s\"\n"
        "from %s\n"
        % (smtps.port, fingerprint(certs.server_pem), R.USER, R.PASSWORD,
           R.FROM))
    assert_exit(r, 0)
    assert warnings(r) == []
    assert b"chmod 600" in r.stdout
    cp = sections(ini)
    assert cp["fastmail"]["tls"] == "smtps"
    assert cp["fastmail"]["password"] == R.PASSWORD
    r = run(["a@x.org"], SIMPLE, ini)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
    assert smtps.auth_mechanisms_used() == ["PLAIN"]


INHERIT = """\
# Shared settings first; each account starts from them.
defaults
tls on
auth on
tls_trust_file %(ca)s
timeout 20
user %(user)s
passwordeval "cat %(pw)s"

account personal
host localhost
port %(starttls)d
from %(from)s

# work is personal, over SMTPS
account work : personal
port %(smtps)d
tls_starttls off
from jdoe@work.example

account default : work
"""


def inherit_rc(tmp_path, certs, smtps, starttls):
    pw = write(tmp_path / "pw", R.PASSWORD + "\n")
    return INHERIT % {"ca": certs.ca_pem, "user": R.USER, "pw": pw,
                      "starttls": starttls.port, "smtps": smtps.port,
                      "from": R.FROM}


def test_several_accounts_with_inheritance(smtps, starttls, certs,
                                           import_rc, run, tmp_path):
    """account work : personal; account default : work.  What both share
    goes to [defaults]; the default account, -a and -f all choose as msmtp
    would."""
    r, ini, _ = import_rc(inherit_rc(tmp_path, certs, smtps, starttls))
    assert_exit(r, 0)
    assert warnings(r) == []
    cp = sections(ini)
    assert cp.sections() == ["defaults", "personal", "work"]
    assert cp["defaults"]["default_account"] == "work"
    assert cp["defaults"]["tls_trust_file"] == certs.ca_pem
    assert cp["defaults"]["timeout"] == "20"
    assert cp["work"]["tls"] == "smtps"
    assert cp["personal"]["tls"] == "starttls"

    # No -a: the default account, work, over SMTPS.
    r = run(["-f", "jdoe@work.example", "a@x.org"], SIMPLE, ini)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE),
                mail_from="jdoe@work.example")
    # -a personal: STARTTLS.
    r = run(["-a", "personal", "b@x.org"], SIMPLE, ini)
    assert_sent(r, starttls, ["b@x.org"], R.crlf(SIMPLE))
    # -f chooses the account whose from matches, as msmtp's from does.
    r = run(["-f", R.FROM, "c@x.org"], SIMPLE, ini)
    starttls.settle()
    assert_exit(r, 0)
    assert len(starttls.messages) == 2, show(r)
    assert starttls.messages[1].rcpt_tos == ["c@x.org"]


@pytest.mark.skipif(shutil.which("msmtp") is None, reason="msmtp not here")
def test_resolution_agrees_with_msmtp(smtps, starttls, certs, import_rc,
                                      tmp_path, env):
    """msmtp --pretend on the same file: every account's host, port and
    TLS mode are those of the stamp.ini."""
    r, ini, rc = import_rc(inherit_rc(tmp_path, certs, smtps, starttls))
    assert_exit(r, 0)
    cp = sections(ini)
    for acct in ("personal", "work"):
        p = subprocess.run(["msmtp", "-C", rc, "-a", acct, "--pretend"],
                           env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        got = dict(line.split(" = ", 1) for line in p.stdout.splitlines()
                   if " = " in line)
        s = cp[acct]
        assert got["host"] == s["host"]
        mode = "smtps" if got["tls_starttls"] == "off" else "starttls"
        assert mode == s["tls"]
        assert int(got["port"]) == int(s.get("port", 465 if mode == "smtps"
                                             else 587))
        assert got["from"] == s["from"]


def test_keyring_entries_of_msmtp_are_used(smtps, certs, import_rc, run,
                                           env, keyring):
    """No password in the msmtprc: msmtp took it from the keyring (host,
    service smtp, user); the imported account finds the same entry."""
    keyring.store("localhost", R.USER, R.PASSWORD)
    r, ini, _ = import_rc(
        "account mail\nhost localhost\nport %d\ntls on\ntls_starttls off\n"
        "tls_trust_file %s\nauth on\nuser %s\nfrom %s\n"
        % (smtps.port, certs.ca_pem, R.USER, R.FROM))
    assert_exit(r, 0)
    assert b"password" not in r.stdout
    e = dict(env)
    e.update(keyring.env)
    r = run(["a@x.org"], SIMPLE, ini, env=e)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_warnings_name_the_line(import_rc):
    """Settings without an equivalent: one warning each with FILE:LINE,
    exit 0, and the rest is imported."""
    r, ini, rc = import_rc(
        "defaults\n"
        "tls off\n"
        "account old\n"
        "host mail.example.org\n"
        "proxy_host 127.0.0.1\n"
        "auth ntlm\n"
        "ntlmdomain CORP\n"
        "user joe\n")
    assert_exit(r, 0)
    assert warnings(r) == [
        "stamp: %s:2: tls off: msmtp sends without TLS here; stamp always "
        "uses TLS: tls = starttls" % rc,
        "stamp: %s:5: proxy_host 127.0.0.1 has no equivalent in stamp, "
        "not imported (stamp does not use a SOCKS proxy)" % rc,
        "stamp: %s:6: auth ntlm has no equivalent in stamp, not imported "
        "(stamp chooses: auth = auto)" % rc,
        "stamp: %s:7: ntlmdomain CORP has no equivalent in stamp, not "
        "imported (stamp has no NTLM)" % rc,
    ], show(r)
    cp = sections(ini)
    assert dict(cp["old"]) == {"host": "mail.example.org", "port": "25",
                               "tls": "starttls", "user": "joe"}


def test_broken_msmtprc_exit_78(import_rc):
    r, _, rc = import_rc("account a\nhost h\naccount b : nosuch\n")
    assert_exit(r, 78)
    assert r.stdout == b""
    assert r.stderr.decode() == (
        "stamp: %s:3: account nosuch not (yet) defined\n" % rc)


def test_missing_file_exit_78(run, tmp_path):
    r = run(["--import-msmtprc", str(tmp_path / "nope")])
    assert_exit(r, 78)
    assert r.stdout == b""
    assert r.stderr.decode() == (
        "stamp: %s: No such file or directory\n" % (tmp_path / "nope"))


def test_default_locations(run, home):
    """Without FILE: ~/.msmtprc, else $XDG_CONFIG_HOME/msmtp/config."""
    xdg = os.path.join(home, ".config", "msmtp")
    os.makedirs(xdg)
    write(os.path.join(xdg, "config"), "account xdg\nhost x.example\n"
          "tls on\nport 587\n")
    r = run(["--import-msmtprc"])
    assert_exit(r, 0)
    assert b"[xdg]\nhost = x.example\n" in r.stdout
    write(os.path.join(home, ".msmtprc"), "account dot\nhost d.example\n"
          "tls on\nport 587\n")
    r = run(["--import-msmtprc"])
    assert_exit(r, 0)
    assert b"[dot]\nhost = d.example\n" in r.stdout
    os.unlink(os.path.join(home, ".msmtprc"))
    os.unlink(os.path.join(xdg, "config"))
    r = run(["--import-msmtprc"])
    assert_exit(r, 78)
    assert b"no msmtp configuration" in r.stderr
