"""Every SASL mechanism against the server side in stamptest/smtpd.py
(aiosmtpd, hashlib/hmac): delivery, wrong credentials (77), a forced
mechanism the server lacks (69), the auto choice, a -v transcript without
secrets, a server that cannot prove it knows the password (69), SCRAM-PLUS
with tls-unique over TLS 1.2, OAuth error JSON, EXTERNAL with a client
certificate and no password at all.  (tls-exporter on TLS 1.3:
tests/unit/test_tls_cb.c, Python's ssl cannot export keying material.)"""
import base64

import pytest

from stamptest import run as R
from stamptest.checks import (SIMPLE, assert_exit, assert_sent, error_line,
                              show, words_in)

PW = R.PASSWORD.encode()
# Mechanisms that work over TLS 1.3 against aiosmtpd, with a password.
PASSWORD_MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
                  "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"]
PLUS_MECHS = ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"]


@pytest.fixture
def server(certs, make_server):
    """server(mechs, mode="smtps", tls12=False, client_ca=False, **kw)."""
    def make(mechs, mode="smtps", tls12=False, client_ca=False, **kw):
        c = certs
        if tls12 or client_ca:
            c = certs.with_server(client_ca=client_ca, max_version="TLSv1_2"
                                  if tls12 else None)
        return make_server(mode, server_certs=c,
                           auth_mechanisms=tuple(mechs), **kw)
    return make


def stderr(r):
    return r.stderr.decode("utf-8", "replace")


def exchange_is_right(mech, sess, port):
    """What the server got from the client, mechanism by mechanism."""
    first = sess.sasl[0] if sess.sasl else None
    b64 = base64.b64encode
    if mech == "PLAIN":             # aiosmtpd's own: no sess.sasl
        assert sess.commands[1] == b"AUTH PLAIN %s\r\n" % b64(
            b"\0joe\0" + PW)
    elif mech == "LOGIN":
        assert sess.commands[1] == b"AUTH LOGIN\r\n"
        assert sess.auth_responses == [b64(b"joe") + b"\r\n",
                                       b64(PW) + b"\r\n"]
    elif mech == "CRAM-MD5":
        assert len(sess.sasl) == 1 and sess.sasl[0].startswith(b"joe ")
    elif mech == "DIGEST-MD5":
        assert b'username="joe"' in first
        assert b'digest-uri="smtp/localhost"' in first
        assert sess.sasl[1] == b""          # after a correct rspauth
    elif mech.startswith("SCRAM"):
        # y: we could bind, the server cannot (RFC 5802 6)
        flag = b"p=tls-unique" if mech.endswith("PLUS") else b"y"
        assert first.startswith(flag + b",,n=joe,r="), first
        assert sess.sasl[1].startswith(b"c=")
        assert sess.sasl[2] == b""          # after a correct v=
    elif mech == "XOAUTH2":
        assert sess.sasl == [b"user=joe\x01auth=Bearer " + PW + b"\x01\x01"]
    elif mech == "OAUTHBEARER":
        assert sess.sasl == [b"n,a=joe,\x01host=localhost\x01port=%d"
                             b"\x01auth=Bearer %s\x01\x01" % (port, PW)]
    for m in (PW, base64.b64encode(PW)):
        assert all(m not in c for c in sess.commands) or mech in (
            "PLAIN", "XOAUTH2", "OAUTHBEARER"), "secret in a command"


@pytest.mark.parametrize("mech", PASSWORD_MECHS)
def test_forced_mechanism_delivers(server, config_for, run, mech):
    srv = server([mech])
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth=mech.lower()))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.auth_mechanisms_used() == [mech], srv.commands
    exchange_is_right(mech, srv.sessions[0], srv.port)


@pytest.mark.parametrize("mech", PLUS_MECHS)
@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_scram_plus_tls_unique(server, config_for, run, mech, mode):
    """TLS 1.2: the binding is tls-unique (RFC 5929), checked by the
    server against its own view of the connection."""
    srv = server([mech], mode=mode, tls12=True)
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth=mech.lower()))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.sessions[-1].tls_version == "TLSv1.2"
    assert srv.sessions[-1].cb_type == "tls-unique"
    exchange_is_right(mech, srv.sessions[-1], srv.port)


@pytest.mark.parametrize("mech", PASSWORD_MECHS + PLUS_MECHS)
def test_wrong_password_is_77(server, config_for, run, mech):
    srv = server([mech], tls12=mech.endswith("PLUS"))
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth=mech.lower(),
                                            password="not-it"))
    assert_exit(r, 77)
    words_in(error_line(r), "AUTH", mech, "535")
    srv.settle()
    assert srv.messages == []
    assert "MAIL" not in srv.verbs()


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "CRAM-MD5", "XOAUTH2",
                                  "EXTERNAL", "SCRAM-SHA-1-PLUS"])
def test_forced_mechanism_not_offered_is_69(server, config_for, run, mech):
    srv = server(["PLAIN", "LOGIN"])
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth=mech.lower()))
    assert_exit(r, 69)
    line = error_line(r)
    assert ("AUTH: the server does not offer %s (auth = %s; it offers: "
            "LOGIN PLAIN)" % (mech, mech.lower())) in line, line
    srv.settle()
    assert srv.auth_commands() == []
    assert srv.messages == []


@pytest.mark.parametrize("offered,chosen", [
    (["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
      "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"], "SCRAM-SHA-256"),
    (["PLAIN", "LOGIN", "SCRAM-SHA-1"], "SCRAM-SHA-1"),
    (["LOGIN", "PLAIN", "CRAM-MD5"], "PLAIN"),
    (["LOGIN", "CRAM-MD5", "DIGEST-MD5"], "LOGIN"),
    (["DIGEST-MD5", "CRAM-MD5"], "CRAM-MD5"),
    (["DIGEST-MD5"], "DIGEST-MD5"),
])
def test_auto_picks_the_strongest(server, config_for, run, offered, chosen):
    srv = server(offered)
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="auto"))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.auth_mechanisms_used() == [chosen], srv.commands


def test_auto_prefers_scram_plus_when_it_can_bind(server, config_for, run):
    srv = server(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS",
                  "SCRAM-SHA-256-PLUS"], tls12=True)
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="auto"))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.auth_mechanisms_used() == ["SCRAM-SHA-256-PLUS"]


def test_scram_forced_while_plus_offered_says_n(server, config_for, run):
    """RFC 5802 6: "y" would tell a -PLUS server that we were downgraded."""
    srv = server(["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"], tls12=True)
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="scram-sha-256"))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.sessions[0].sasl[0].startswith(b"n,,n=joe,r=")


def test_auto_never_picks_oauth_or_external(server, config_for, run):
    srv = server(["XOAUTH2", "OAUTHBEARER", "EXTERNAL"])
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="auto"))
    assert_exit(r, 69)
    assert "no usable mechanism (auth = auto; the server offers: EXTERNAL " \
        "OAUTHBEARER XOAUTH2)" in error_line(r)
    srv.settle()
    assert srv.auth_commands() == []


@pytest.mark.parametrize("mech", PASSWORD_MECHS + PLUS_MECHS)
def test_verbose_transcript_has_no_secret(server, config_for, run, mech):
    srv = server([mech], tls12=mech.endswith("PLUS"))
    r = run(["-v", "a@x.org"], SIMPLE, config_for(srv, auth=mech.lower()))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    err = r.stderr
    assert b"AUTH " + mech.encode() in err, show(r)
    sent = [base64.b64encode(m) for m in srv.sessions[0].sasl if m]
    for secret in [PW, base64.b64encode(PW)] + sent:
        assert secret not in err, (secret, show(r))


@pytest.mark.parametrize("mech", ["SCRAM-SHA-1", "SCRAM-SHA-256",
                                  "SCRAM-SHA-256-PLUS", "DIGEST-MD5"])
def test_server_that_cannot_prove_itself_is_refused(server, config_for, run,
                                                    mech):
    """The server accepts us but its signature (v=, rspauth) is wrong: it
    does not know the password, or relays what it learns.  69, like a
    failed certificate check; nothing is sent."""
    srv = server([mech], tls12=mech.endswith("PLUS"), bad_server_proof=True)
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth=mech.lower()))
    assert_exit(r, 69)
    line = error_line(r)
    assert line.startswith("stamp: AUTH %s: the server's " % mech), line
    words_in(line, ("signature", "rspauth"), "wrong", "refusing")
    srv.settle()
    assert srv.messages == []
    assert "MAIL" not in srv.verbs()
    # We cancelled the exchange (RFC 4954 4) instead of answering it.
    assert b"*\r\n" in srv.sessions[0].auth_responses, srv.sessions[0]


@pytest.mark.parametrize("mech", ["XOAUTH2", "OAUTHBEARER"])
def test_oauth_error_json_shown(server, config_for, run, mech):
    srv = server([mech])
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth=mech.lower(),
                                            password="expired-token"))
    assert_exit(r, 77)
    line = error_line(r)
    assert line.endswith("535 5.7.8 Authentication credentials invalid "
                         "(status=401 schemes=bearer "
                         "scope=https://mail.google.com/)"), line
    # The client's answer to the error: empty (XOAUTH2), ^A (RFC 7628).
    assert srv.sessions[0].sasl[-1] == (b"" if mech == "XOAUTH2"
                                        else b"\x01")


def test_oauth_error_sanitised(server, config_for, run):
    srv = server(["XOAUTH2"], oauth_error='{"status":"\\u001b[31m401",'
                 '"x":"a\x1b]0;pwned\x07b"}')
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="xoauth2",
                                            password="bad"))
    assert_exit(r, 77)
    line = error_line(r)
    assert "(status=?[31m401 x=a?]0;pwned?b)" in line, line
    assert "\x1b" not in stderr(r)


def test_plain_with_authzid(server, config_for, run):
    srv = server(["PLAIN"])
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="plain",
                                            authzid="boss"))
    # aiosmtpd's PLAIN refuses an authzid other than the user: 535 proves
    # it arrived; the exact bytes prove where.
    srv.settle()
    assert srv.sessions[0].commands[1] == (
        b"AUTH PLAIN " + base64.b64encode(b"boss\0joe\0" + PW) + b"\r\n"
    ), show(r)


@pytest.mark.parametrize("authzid,want", [(None, b"=\r\n"),
                                          ("joe", b"am9l\r\n")])
def test_external_with_client_certificate(server, certs, config_for, run,
                                          authzid, want):
    """No password anywhere: EXTERNAL must not look one up."""
    srv = server(["PLAIN", "EXTERNAL"], client_ca=True, pipelining=True)
    cfg = config_for(srv, auth="external", password=None, authzid=authzid,
                     tls_cert_file=certs.client_pem,
                     tls_key_file=certs.client_key)
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.auth_mechanisms_used() == ["EXTERNAL"]
    assert srv.sessions[0].commands[1] == b"AUTH EXTERNAL " + want
    # RFC 4954 4: EXTERNAL's one round trip starts the pipelined group.
    b = dict(srv.batch_of())
    assert b["AUTH"] == b["MAIL"] == b["RCPT"], srv.batch_of()


def test_external_without_certificate_is_a_config_error(server, config_for,
                                                        run):
    srv = server(["EXTERNAL"])
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="external",
                                            password=None))
    assert_exit(r, 78)
    assert error_line(r) == ("stamp: AUTH: auth = external needs a client "
                             "certificate (tls_cert_file and tls_key_file)")
    srv.settle()
    assert srv.auth_commands() == []


def test_external_refused_by_the_server(server, certs, config_for, run):
    """The certificate is fine but the server will not let it act as
    someone else: 535, 77."""
    srv = server(["EXTERNAL"], client_ca=True)
    r = run(["a@x.org"], SIMPLE, config_for(
        srv, auth="external", password=None, authzid="someone-else",
        tls_cert_file=certs.client_pem, tls_key_file=certs.client_key))
    assert_exit(r, 77)
    words_in(error_line(r), "AUTH", "EXTERNAL", "535")
    srv.settle()
    assert srv.messages == []


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "CRAM-MD5", "LOGIN"])
def test_multi_step_mechanisms_are_not_pipelined(server, config_for, run,
                                                 mech):
    """RFC 4954 4: only PLAIN and EXTERNAL may start the group."""
    srv = server([mech], pipelining=True)
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth=mech.lower()))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    b = dict(srv.batch_of())
    assert b["MAIL"] > b["AUTH"], srv.batch_of()


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "CRAM-MD5", "DIGEST-MD5",
                                  "XOAUTH2", "OAUTHBEARER"])
def test_after_auth_secret_only_in_its_buffer(server, config_for, stamp, env,
                                              mech):
    """As test_credentials' PLAIN/LOGIN case: at RCPT time the password is
    in stamp's memory only in secret.c's page, whatever the mechanism did
    with it (HMAC keys, PBKDF2, the OAuth response: wiped by sasl.c)."""
    from test_credentials import (AtRcpt, IS_ROOT, PAGE, PW_COMMAND,
                                  WINDOW)
    if not IS_ROOT:
        pytest.skip("needs root")
    hook = AtRcpt(scan_memory=True)
    srv = server([mech], replies={"RCPT": hook})
    cfg = config_for(srv, auth=mech.lower(), password=None,
                     password_command=PW_COMMAND, timeout=60)
    r = hook.run(["a@x.org"], cfg, stamp, env)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    hits = hook.seen["memory"]
    plain = hits.pop(PW)
    base = min(plain, default=0)
    assert base % PAGE == 0 and all(
        a - base <= len(PW) - WINDOW for a in plain), [hex(a) for a in plain]
    assert all(v == [] for v in hits.values()), hits
