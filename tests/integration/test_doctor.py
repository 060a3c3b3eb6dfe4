"""stamp --doctor [ACCOUNT] [-f FROM RCPT...] (issue 8, doctor.h): one line
per step (OK, WARN, FAIL, SKIP) and a "fix:" line for every problem, each
diagnosis tested against a server set up wrong in that way; the exit status
is 0 when every step passed, else the first failure's (DESIGN 5).  Also the
normal send's error for the wrong-port cases (the same advice)."""
import functools
import hashlib
import re
import ssl

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, error_line, show

FIX = "     fix: "


def doctor(run, cfg, *args, env=None):
    kw = {} if env is None else {"env": env}
    r = run(["--doctor"] + list(args), b"", cfg, **kw)
    return r, r.stdout.decode()


def line(out, tag, prefix):
    """The line 'TAG  prefix...', and the fix line after it (or None)."""
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("%-4s %s" % (tag, prefix)):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            return l, (nxt[len(FIX):] if nxt.startswith(FIX) else None)
    raise AssertionError("no %s line starting %r in:\n%s" % (tag, prefix,
                                                            out))


def assert_no_fail(out):
    assert not re.search(r"^FAIL", out, re.M), out


def pem_sha256(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    h = hashlib.sha256(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


# -- all well --------------------------------------------------------------

@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_all_well(make_server, config_for, run, mode):
    srv = make_server(mode, pipelining=True, chunking=True)
    cfg = config_for(srv)
    r, out = doctor(run, cfg)
    assert_exit(r, 0)
    assert_no_fail(out)
    assert line(out, "OK", "config: %s, account test: host = localhost, "
                "port = %d, tls = %s" % (cfg, srv.port, mode))
    assert line(out, "OK", "dns: localhost -> 127.0.0.1")
    assert line(out, "OK", "tcp: 127.0.0.1 port %d: connected" % srv.port)
    assert line(out, "OK", "password: found (from password = in the file")
    tls, _ = line(out, "OK", "tls: TLSv1.")
    assert "cipher " in tls
    cert0, _ = line(out, "OK", "certificate 0: CN=localhost")
    assert "names DNS:localhost, IP:127.0.0.1" in cert0, cert0
    assert re.search(r"; issuer CN=stamp test CA; .*; not after "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
                     r"\([12] days? left\)$", cert0), cert0
    assert line(out, "OK", "name: the certificate is valid for localhost")
    # the harness's certificates live 2 days: under DOCTOR_EXPIRY (14)
    l, fix = line(out, "WARN", "expiry: the certificate expires in ")
    assert fix == "ask the server's admin to renew it before then", out
    assert line(out, "OK", "greeting: 220 ")
    caps, _ = line(out, "OK", "capabilities: PIPELINING yes, CHUNKING yes")
    assert re.search(r"AUTH (PLAIN LOGIN|LOGIN PLAIN)$", caps), caps
    assert line(out, "OK", "auth: PLAIN as joe accepted")
    assert line(out, "SKIP", "MAIL FROM / RCPT TO")
    assert out.splitlines()[-1] == "OK   all checks passed"
    # AUTH only: no transaction at all
    srv.settle()
    assert "MAIL" not in srv.verbs() and "DATA" not in srv.verbs()
    assert srv.messages == []
    assert R.PASSWORD not in out and R.PASSWORD not in r.stderr.decode()


def test_probe_mail_rcpt_then_rset_never_data(make_server, config_for, run):
    srv = make_server("smtps", pipelining=True)
    r, out = doctor(run, config_for(srv), "test", "-f", R.FROM, "a@x.org",
                    "b@y.org")
    assert_exit(r, 0)
    assert line(out, "OK", "MAIL FROM:<%s>: 250" % R.FROM)
    assert line(out, "OK", "RCPT TO: 2 recipients accepted")
    srv.settle()
    verbs = srv.verbs()
    assert verbs[-4:] == ["RCPT", "RCPT", "RSET", "QUIT"], verbs
    assert "DATA" not in verbs and srv.messages == []


# -- wrong port for the TLS mode --------------------------------------------

def test_smtps_against_starttls_port(make_server, config_for, run):
    srv = make_server("starttls")
    cfg = config_for(srv, tls="smtps")
    r, out = doctor(run, cfg)
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "tls: the server answered the TLS "
                  "ClientHello in plain text")
    assert fix == "set tls = starttls (or port = 465) in [test]", out
    # the normal send says the same
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 69)
    assert "set tls = starttls (or port = 465)" in error_line(r), show(r)


def test_starttls_against_smtps_port(make_server, config_for, run):
    srv = make_server("smtps")
    cfg = config_for(srv, tls="starttls", timeout=2)
    r, out = doctor(run, cfg)
    assert_exit(r, 75)
    l, fix = line(out, "FAIL", "greeting: none within 2 s; ")
    assert "answers a TLS handshake: it speaks implicit TLS" in l, l
    assert fix == "set tls = smtps (or port = 587) in [test]", out
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 75)
    assert "set tls = smtps, or port = 587" in error_line(r), show(r)


@pytest.fixture
def faulty(make_faulty):
    """faulty(mode, script, **kw) -> (a started Faulty, its config with
    timeout = 5)."""
    return functools.partial(make_faulty, timeout=5, user=R.USER)


def test_greeting_refused(faulty, run):
    srv, cfg = faulty("smtps", {"greeting": "554 5.7.1 not from your "
                                "network"})
    r, out = doctor(run, cfg)
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "greeting: 554 5.7.1 not from your network")
    assert fix.startswith("the server turns this host away: ask its "
                          "admin"), out


def test_no_starttls_offered(faulty, run):
    """A STARTTLS port whose server does not offer it (or a man in the
    middle that strips it): never plain text; use implicit TLS."""
    srv, cfg = faulty("starttls", starttls=False)
    r, out = doctor(run, cfg)
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "starttls: STARTTLS: the server does not "
                  "offer STARTTLS")
    assert fix.startswith("this port offers no STARTTLS: use the server's "
                          "implicit-TLS port (tls = smtps, port = 465)"), out
    srv.settle()
    assert "AUTH" not in srv.verbs(), srv.verbs()


# -- certificates -----------------------------------------------------------

def test_name_mismatch_shows_the_names(make_server, config_for, run):
    srv = make_server("smtps", cert="wrongname")
    r, out = doctor(run, config_for(srv))
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "name: the certificate is not for "
                  "localhost; it names: DNS:other.example")
    assert fix.startswith("set host = to one of those names"), out
    # described, not passed
    assert line(out, "", "certificate 0: CN=localhost; issuer ")
    assert "OK   certificate" not in out


def test_unknown_ca_prints_the_pin(make_server, config_for, run, certs):
    srv = make_server("smtps", cert="untrusted")
    cfg = config_for(srv)
    r, out = doctor(run, cfg)
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "chain: not trusted: ")
    pin = pem_sha256(certs.untrusted_pem)
    assert fix.endswith("pin it: tls_fingerprint = %s" % pin), out
    assert "tls_trust_file = " in fix
    # and the pin it gives works
    r, out = doctor(run, config_for(srv, tls_fingerprint=pin))
    assert_exit(r, 0)
    assert line(out, "OK", "pin: the certificate is the one "
                "tls_fingerprint names")


def test_expired_certificate(make_server, config_for, run):
    srv = make_server("smtps", cert="expired")
    r, out = doctor(run, config_for(srv))
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "expiry: the certificate expired on "
                  "2020-01-02")
    cert, _ = line(out, "", "certificate 0: ")
    assert re.search(r"not after 2020-01-02 00:00:00 UTC \(expired \d+ "
                     r"days ago\)$", cert), cert
    assert fix.startswith("the server's admin must renew it"), out


# -- the password -----------------------------------------------------------

def test_no_secret_service(make_server, config_for, run):
    """No password in the file and no D-Bus session: the password step
    fails with the command that stores one; the session still shows the
    server (without AUTH); the exit status is the password's (78)."""
    srv = make_server("smtps")
    r, out = doctor(run, config_for(srv, password=None))
    assert_exit(r, 78)
    l, fix = line(out, "FAIL", "password: ")
    assert "stamp --password set test" in fix, out
    assert line(out, "OK", "capabilities: ")
    assert line(out, "SKIP", "auth: no password")
    srv.settle()
    assert srv.auth_commands() == []


def test_no_keyring_entry(make_server, config_for, run, env, keyring):
    srv = make_server("smtps")
    e = dict(env)
    e.update(keyring.env)
    r, out = doctor(run, config_for(srv, password=None, user="nobody-here"),
                    env=e)
    assert_exit(r, 78)
    l, fix = line(out, "FAIL", "password: ")
    assert "stamp --password set test" in fix, out


# -- AUTH -------------------------------------------------------------------

def test_mechanism_not_offered(make_server, config_for, run):
    srv = make_server("smtps", auth_mechanisms=("LOGIN",))
    r, out = doctor(run, config_for(srv, auth="plain"))
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "auth: the server does not offer PLAIN "
                  "(auth = plain; it offers: LOGIN)")
    assert fix == ("set auth = login (or auth = auto) in [test]; the server "
                   "offers: LOGIN"), out


def test_wrong_password(make_server, config_for, run):
    srv = make_server("smtps", password="the-right-one")
    r, out = doctor(run, config_for(srv))
    assert_exit(r, 77)
    l, fix = line(out, "FAIL", "auth: AUTH PLAIN: 535")
    assert fix.startswith("the server refused user joe with this "
                          "password: check user = and password in [test]")
    assert R.PASSWORD not in out


# -- MAIL FROM / RCPT TO probes ---------------------------------------------

def test_sender_not_allowed(make_server, config_for, run):
    srv = make_server("smtps",
                      replies={"MAIL": "553 5.7.1 sender not allowed"})
    r, out = doctor(run, config_for(srv), "test", "-f", "boss@x.org",
                    "a@x.org")
    assert_exit(r, 69)
    l, fix = line(out, "FAIL", "MAIL FROM:<boss@x.org>: 553 5.7.1")
    assert fix.startswith("the server does not let joe send as "
                          "<boss@x.org>: set from = in [test] (or -f)"), out
    srv.settle()
    assert "DATA" not in srv.verbs() and srv.messages == []


def test_recipient_refused(make_server, config_for, run):
    srv = make_server("smtps", replies={"RCPT": "550 5.1.1 no such user"})
    r, out = doctor(run, config_for(srv), "test", "-f", R.FROM, "zz@x.org")
    assert_exit(r, 67)
    l, fix = line(out, "FAIL", "RCPT: ")
    assert "RCPT TO:<zz@x.org>: 550 5.1.1 no such user" in l, l
    assert fix.startswith("check the address; 5.1.x: no such mailbox"), out
    srv.settle()
    assert "DATA" not in srv.verbs() and srv.messages == []


# -- configuration and network ----------------------------------------------

def test_unknown_account(make_server, config_for, run):
    srv = make_server("smtps")
    r, out = doctor(run, config_for(srv), "nosuch")
    assert_exit(r, 78)
    assert line(out, "FAIL", "config: ")[1].startswith("name an account")


def test_nothing_listening(config_for, run, closed_port, make_server):
    srv = make_server("smtps")
    r, out = doctor(run, config_for(srv, port=closed_port))
    assert_exit(r, 75)
    l, fix = line(out, "FAIL", "tcp: 127.0.0.1 port %d: Connection refused"
                  % closed_port)
    assert fix.startswith("nothing accepts connections on port %d of "
                          "localhost: check port = (465 for tls = smtps, "
                          "587 for tls = starttls)" % closed_port), out


def test_unreadable_trust_file(make_server, config_for, run, tmp_path):
    srv = make_server("smtps")
    missing = str(tmp_path / "no-such-ca.pem")
    r, out = doctor(run, config_for(srv, tls_trust_file=missing))
    assert_exit(r, 78)
    l, fix = line(out, "FAIL", "config: ")
    assert missing in l, l
    assert fix.startswith("correct the file named (tls_trust_file"), out
    srv.settle()
    assert srv.commands == []
