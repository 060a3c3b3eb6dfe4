"""OAuth2 built in (issue 9) against the local provider
(stamptest/oauthprovider.py: HTTPS on loopback with the test CA), aiosmtpd's
XOAUTH2/OAUTHBEARER and the real gnome-keyring: the device grant with
authorization_pending and slow_down, the code flow with PKCE and the
loopback redirect driven by the test, the cached access token, refresh,
rotation, a revoked grant (77 and the command to run), the provider down
or answering 503 (75), certificate verification (69), and libcurl loaded
only when OAuth2 is used."""
import os
import re
import select
import socket
import subprocess
import time
import urllib.parse

import pytest

from stamptest import run as R
from stamptest.checks import (SIMPLE, assert_exit, assert_sent, error_line,
                              show, words_in)
from stamptest.oauthprovider import OAuthProvider, browser, follow


@pytest.fixture
def provider(certs):
    p = OAuthProvider(certs).start()
    yield p
    p.stop()


@pytest.fixture
def kenv(env, keyring):
    e = dict(env)
    e.update(keyring.env)
    return e


def o2_config(config_for, srv, prov, mech="xoauth2", **over):
    keys = prov.keys(**over)
    return config_for(srv, auth=mech, password=None, **keys)


def server(make_server, token, mech="XOAUTH2"):
    return make_server("smtps", password=token, auth_mechanisms=(mech,))


def items(keyring, prov, kind):
    """Our keyring items: service=stamp-oauth2, kind, user, endpoint."""
    r = subprocess.run(
        ["secret-tool", "search", "--all", "service", "stamp-oauth2",
         "kind", kind, "user", R.USER, "oauth2_endpoint",
         prov.base + "/token"],
        env=keyring._env(), capture_output=True, timeout=10)
    return [l.split(" = ", 1)[1] for l in
            (r.stdout + r.stderr).decode().splitlines()
            if l.startswith("secret = ")]


def authorize(run, cfg, kenv, timeout=40):
    return run(["--oauth2-authorize", "test"], b"", cfg, env=kenv,
               timeout=timeout)


def test_device_flow_pending_slow_down_then_send(make_server, provider,
                                                 config_for, run, kenv,
                                                 keyring):
    provider.pending = 1            # poll 1: authorization_pending
    provider.slow_down_at = 2       # poll 2: slow_down (+5 s), poll 3: ok
    srv = server(make_server, provider.access_token(1))
    cfg = o2_config(config_for, srv, provider)
    r = authorize(run, cfg, kenv)
    assert_exit(r, 0)
    out = r.stdout.decode()
    assert "WDJB-MJHT" in out and provider.base + "/device-login" in out
    assert "authorized" in out
    polls = provider.posts("/token")
    assert [p[2]["grant_type"] for p in polls] == \
        ["urn:ietf:params:oauth:grant-type:device_code"] * 3
    assert all(p[2]["device_code"] == "DC-1" for p in polls)
    gaps = [b[3] - a[3] for a, b in zip(polls, polls[1:])]
    assert 0.9 <= gaps[0] < 4, gaps          # the interval: 1 s
    assert gaps[1] >= 5.9, gaps              # RFC 8628 3.5: +5 s
    dev = provider.posts("/device")[0][2]
    assert dev["client_id"] == provider.client_id
    assert dev["scope"] == "mail.send offline_access"
    assert items(keyring, provider, "refresh") == ["RT1"]
    assert items(keyring, provider, "access")[0].endswith(" AT1")
    # The send uses the cached token: no request to the provider.
    n = len(provider.requests)
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert len(provider.requests) == n
    assert srv.sessions[-1].sasl == [
        b"user=joe\x01auth=Bearer AT1\x01\x01"]


def _read_url(p, deadline=15):
    """The https:// line that stamp prints, read as it comes."""
    end = time.monotonic() + deadline
    buf = b""
    while time.monotonic() < end:
        ready, _, _ = select.select([p.stdout], [], [], 0.2)
        if ready:
            chunk = p.stdout.read1(4096)
            if not chunk:
                break
            buf += chunk
            for line in buf.decode().splitlines():
                if line.strip().startswith("https://"):
                    return line.strip(), buf
    raise AssertionError("no URL printed: %r" % buf)


def start_authorize(stamp, cfg, kenv):
    return subprocess.Popen([stamp, "-C", cfg, "--oauth2-authorize",
                             "test"], env=kenv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_code_flow_pkce_loopback(stamp, make_server, provider, config_for,
                                 run, kenv, keyring, certs):
    srv = server(make_server, provider.access_token(1), "OAUTHBEARER")
    cfg = o2_config(config_for, srv, provider, mech="oauthbearer",
                    oauth2_flow="code")
    p = start_authorize(stamp, cfg, kenv)
    try:
        url, _ = _read_url(p)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        assert url.startswith(provider.base + "/authorize?")
        assert q["code_challenge_method"] == "S256"
        assert len(q["code_challenge"]) == 43
        assert q["scope"] == "mail.send offline_access"
        ru = urllib.parse.urlsplit(q["redirect_uri"])
        assert ru.scheme == "http" and ru.hostname == "127.0.0.1"
        assert ru.port > 0
        # A browser's speculative connection, closed without a request,
        # is not the redirect: stamp keeps waiting.
        socket.create_connection(("127.0.0.1", ru.port), timeout=5).close()
        status, body = browser(url, certs.ca_pem)
        assert status == 200 and b"authorized" in body
        out, err = p.communicate(timeout=20)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 0, (out, err)
    tok = provider.posts("/token")[0][2]
    assert tok["grant_type"] == "authorization_code"
    assert tok["code"] == "CODE1"
    assert tok["redirect_uri"] == q["redirect_uri"]
    assert len(tok["code_verifier"]) == 43
    assert items(keyring, provider, "refresh") == ["RT1"]
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert b"auth=Bearer AT1" in srv.sessions[-1].sasl[0]


def test_code_flow_wrong_state_is_refused(stamp, make_server, provider,
                                          config_for, kenv, keyring, certs):
    srv = server(make_server, "x")
    cfg = o2_config(config_for, srv, provider, oauth2_flow="code")
    p = start_authorize(stamp, cfg, kenv)
    try:
        url, _ = _read_url(p)
        ru = dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(url).query))["redirect_uri"]
        status, _ = follow(ru + "?code=CODE9&state=forged")
        assert status == 400
        out, err = p.communicate(timeout=20)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 76, (out, err)
    assert b"state" in err
    assert provider.posts("/token") == []
    assert items(keyring, provider, "refresh") == []


def test_redirect_listener_dribbled_request_times_out(stamp, make_server,
                                                      provider, config_for,
                                                      kenv, keyring):
    """A local process that connects first and sends its request a byte
    a second holds the listener no longer than the account's timeout
    (it used to restart a 10 s wait after every byte)."""
    srv = server(make_server, "x")
    cfg = o2_config(config_for, srv, provider, oauth2_flow="code",
                    timeout=4)
    p = start_authorize(stamp, cfg, kenv)
    try:
        url, _ = _read_url(p)
        ru = urllib.parse.urlsplit(dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(url).query))["redirect_uri"])
        s = socket.create_connection(("127.0.0.1", ru.port), timeout=5)
        t0 = time.monotonic()
        try:
            for b in b"GET /?state=x HTTP/1.1\r\n":
                if p.poll() is not None:
                    break
                try:
                    s.send(bytes([b]))
                except OSError:
                    break
                time.sleep(0.5)
        finally:
            s.close()
        out, err = p.communicate(timeout=20)
        took = time.monotonic() - t0
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 75, (out, err)
    assert b"no redirect within 4 s" in err, err
    assert took < 8, took
    assert provider.posts("/token") == []


def test_redirect_error_is_shown_sanitised(stamp, make_server, provider,
                                           config_for, kenv, keyring):
    """The provider's error in the redirect (with our state) is shown,
    its control characters made harmless for the terminal: 77."""
    srv = server(make_server, "x")
    cfg = o2_config(config_for, srv, provider, oauth2_flow="code")
    p = start_authorize(stamp, cfg, kenv)
    try:
        url, _ = _read_url(p)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        status, _ = follow(q["redirect_uri"] + "?state=" + q["state"] +
                           "&error=access_denied%1b%5b2J%0d%0a")
        assert status == 400
        out, err = p.communicate(timeout=20)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 77, (out, err)
    assert b"refused: access_denied?[2J" in err, err
    assert b"\x1b" not in err and err.count(b"\n") == 1, err
    assert provider.posts("/token") == []


def authorized(provider, run, cfg, kenv):
    """The grant as --oauth2-authorize leaves it (device flow, no wait)."""
    r = authorize(run, cfg, kenv)
    assert_exit(r, 0)
    return r


def test_expired_access_token_is_refreshed(make_server, provider, config_for,
                                           run, kenv, keyring):
    provider.expires_in = 30        # inside the 60 s margin: refresh
    srv = server(make_server, provider.access_token(2))
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    ref = provider.posts("/token")[-1][2]
    assert ref["grant_type"] == "refresh_token"
    assert ref["refresh_token"] == "RT1"
    assert ref["client_id"] == provider.client_id
    assert items(keyring, provider, "access")[0].endswith(" AT2")
    assert items(keyring, provider, "refresh") == ["RT1"]   # not rotated


def test_token_refused_by_the_server_is_dropped(make_server, provider,
                                               config_for, run, kenv,
                                               keyring):
    """A token still valid by its expiry that the server refuses (535,
    e.g. revoked there): 77, and it is dropped, so the next send
    refreshes instead of offering it again until it expires."""
    srv = server(make_server, "not-what-the-provider-issued")
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    assert len(items(keyring, provider, "access")) == 1
    assert_exit(run(["a@x.org"], SIMPLE, cfg, env=kenv), 77)
    assert items(keyring, provider, "access") == []
    posts = len(provider.posts("/token"))
    srv.password = provider.access_token(2).encode()
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    ref = provider.posts("/token")[posts:]
    assert [f[2]["grant_type"] for f in ref] == ["refresh_token"]


def test_rotated_refresh_token_is_stored(make_server, provider, config_for,
                                         run, kenv, keyring):
    provider.expires_in = 30
    provider.rotate = True
    srv = server(make_server, provider.access_token(2))
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    assert_sent(run(["a@x.org"], SIMPLE, cfg, env=kenv), srv, ["a@x.org"],
                R.crlf(SIMPLE))
    assert items(keyring, provider, "refresh") == ["RT2"]
    srv.password = provider.access_token(3).encode()
    r = run(["b@x.org"], SIMPLE, cfg, env=kenv)
    assert_exit(r, 0)
    assert provider.posts("/token")[-1][2]["refresh_token"] == "RT2"
    assert items(keyring, provider, "refresh") == ["RT3"]


def test_client_secret_is_sent(make_server, certs, config_for, run, kenv,
                               keyring):
    with OAuthProvider(certs, client_secret="cs-123") as prov:
        srv = server(make_server, prov.access_token(1))
        cfg = o2_config(config_for, srv, prov)
        authorized(prov, run, cfg, kenv)
        assert prov.posts("/token")[0][2]["client_secret"] == "cs-123"


def test_revoked_grant_exits_77_with_the_command(make_server, provider,
                                                 config_for, run, kenv,
                                                 keyring):
    provider.expires_in = 30
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    provider.revoke_all()
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_exit(r, 77)
    line = error_line(r)
    assert "stamp --oauth2-authorize test" in line, line
    words_in(line, "invalid_grant")
    srv.settle()
    assert srv.connections == 0


def test_refused_refresh_token_echoed_is_not_shown(make_server, certs,
                                                   config_for, run, kenv,
                                                   keyring):
    """A provider whose error quotes the refresh token (and the client
    secret) it refuses: 77, the words shown, never the secrets, even
    under -v."""
    with OAuthProvider(certs, client_secret="cs-secret-123",
                       expires_in=30) as prov:
        srv = server(make_server, "never")
        cfg = o2_config(config_for, srv, prov)
        authorized(prov, run, cfg, kenv)
        prov.revoke_all()
        prov.echo = True
        r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
        assert_exit(r, 77)
        line = error_line(r)
        words_in(line, "refused:", "stamp --oauth2-authorize test")
        assert "***" in line, line
        rv = run(["-v", "a@x.org"], SIMPLE, cfg, env=kenv)
        assert_exit(rv, 77)
        for x in (r, rv):
            assert b"RT1" not in x.stderr + x.stdout, show(x)
            assert b"cs-secret-123" not in x.stderr + x.stdout, show(x)


def test_device_code_echoed_is_not_shown(make_server, provider, config_for,
                                         run, kenv, keyring):
    provider.deny = True
    provider.echo = True
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider)
    r = authorize(run, cfg, kenv)
    assert_exit(r, 77)
    words_in(error_line(r), "refused:")
    assert b"DC-1" not in r.stderr, show(r)


@pytest.mark.parametrize("expiry", ["-9223372036854775808",
                                    "99999999999999999999999", "x", ""])
def test_garbled_cached_expiry_is_refreshed(make_server, provider,
                                            config_for, run, kenv, keyring,
                                            expiry):
    """An access item whose expiry is out of range or not a number (the
    keyring is writable by any process of the user) is not a valid
    token: stamp refreshes instead of offering it."""
    srv = server(make_server, provider.access_token(2))
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    subprocess.run(
        ["secret-tool", "store", "--label=t", "service", "stamp-oauth2",
         "kind", "access", "user", R.USER, "oauth2_endpoint",
         provider.base + "/token", "client_id", provider.client_id],
        input=(expiry + " AT9").encode(), env=keyring._env(),
        capture_output=True, timeout=10, check=True)
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert provider.posts("/token")[-1][2]["grant_type"] == "refresh_token"
    assert b"auth=Bearer AT2" in srv.sessions[-1].sasl[0]


def _store(keyring, prov, kind, value):
    subprocess.run(
        ["secret-tool", "store", "--label=t", "service", "stamp-oauth2",
         "kind", kind, "user", R.USER, "oauth2_endpoint",
         prov.base + "/token", "client_id", prov.client_id],
        input=value.encode(), env=keyring._env(), capture_output=True,
        timeout=10, check=True)


@pytest.mark.parametrize("with_access", [True, False])
def test_refresh_token_rotated_by_another_stamp_meanwhile(
        make_server, provider, config_for, run, kenv, keyring, with_access):
    """Two stamps refresh at once and the provider rotates (revoking the
    old token at once): the one that loses gets invalid_grant for the
    token it read, finds the new one in the keyring and uses it (its
    access token, or one refresh with it) instead of exiting 77."""
    provider.expires_in = 30
    provider.rotate = True
    cfg = o2_config(config_for, server(make_server, "x"), provider)
    authorized(provider, run, cfg, kenv)
    token = "AT7" if with_access else provider.access_token(3)
    srv = server(make_server, token)
    cfg = o2_config(config_for, srv, provider)

    def other_stamp(f):
        # The other stamp's refresh, done just before ours arrives.
        provider.before_token = None        # (runs under its lock)
        provider.refresh_tokens.discard("RT1")
        provider.revoked.add("RT1")
        provider._new_access()              # AT2, the other's
        rt = provider._new_refresh()        # RT2
        _store(keyring, provider, "refresh", rt)
        if with_access:
            _store(keyring, provider, "access",
                   "%d AT7" % (int(time.time()) + 3600))
    provider.before_token = other_stamp
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert ("auth=Bearer %s" % token).encode() in srv.sessions[-1].sasl[0]
    refreshes = [p[2]["refresh_token"] for p in provider.posts("/token")
                 if p[2]["grant_type"] == "refresh_token"]
    assert refreshes == (["RT1"] if with_access else ["RT1", "RT2"])
    assert items(keyring, provider, "refresh") == (
        ["RT2"] if with_access else ["RT3"])


def test_doctor_with_a_refused_token(make_server, provider, config_for, run,
                                     kenv, keyring):
    """--doctor whose token the server refuses: 77, a fix that speaks of
    the OAuth2 token (not of a password), and the token dropped as a
    send drops it."""
    srv = server(make_server, "not-what-the-provider-issued")
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    r = run(["--doctor"], b"", cfg, env=kenv)
    assert_exit(r, 77)
    out = r.stdout.decode()
    assert "fix: the server refused the OAuth2 access token for user" \
        in out, out
    assert "stamp --oauth2-authorize test" in out, out
    assert "password" not in out.split("FAIL auth")[1], out
    assert items(keyring, provider, "access") == []


def test_long_refresh_token_that_percent_encodes_large(make_server,
                                                       provider, config_for,
                                                       run, kenv, keyring):
    """A refresh token stamp accepts (up to 16384 bytes of printable
    ASCII) can be sent back: 6000 '*' are 18000 bytes percent-encoded,
    more than the request body used to allow."""
    provider.expires_in = 30
    provider.rt_suffix = "*" * 6000
    srv = server(make_server, provider.access_token(2))
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert provider.posts("/token")[-1][2]["refresh_token"] == \
        "RT1" + "*" * 6000


@pytest.mark.parametrize("how", ["stopped", "503"])
def test_provider_down_is_temporary(make_server, provider, config_for, run,
                                    kenv, keyring, how):
    provider.expires_in = 30
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider)
    authorized(provider, run, cfg, kenv)
    if how == "stopped":
        provider.stop()
    else:
        provider.status = 503
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_exit(r, 75)
    words_in(error_line(r), "oauth2", "token endpoint")
    srv.settle()
    assert srv.connections == 0


def test_no_grant_names_the_command(make_server, provider, config_for, run,
                                    kenv, keyring):
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider)
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_exit(r, 78)
    assert "stamp --oauth2-authorize test" in error_line(r)
    assert provider.requests == []


@pytest.mark.parametrize("script,code", [("deny", 77), ("expire", 75)])
def test_device_flow_refused_or_expired(make_server, provider, config_for,
                                        run, kenv, keyring, script, code):
    setattr(provider, script, True)
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider)
    r = authorize(run, cfg, kenv)
    assert_exit(r, code)
    words_in(error_line(r), ("access_denied", "expired"))
    assert items(keyring, provider, "refresh") == []


def test_untrusted_provider_certificate(make_server, provider, config_for,
                                        run, kenv, keyring):
    """No tls_trust_file: the system store does not know the test CA."""
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider, tls_trust_file=None,
                    tls_fingerprint=None)
    r = authorize(run, cfg, kenv)
    assert_exit(r, 69)
    words_in(error_line(r), "device endpoint", ("certificate", "ssl"))
    assert provider.posts("/device") == []


def test_libcurl_only_loaded_for_oauth2(make_server, provider, config_for,
                                        run, env, kenv, smtps, stamp):
    """A password send never maps libcurl or json-c; an OAuth2 one does."""
    needed = subprocess.run(["readelf", "-d", stamp], capture_output=True,
                            timeout=10).stdout
    assert b"curl" not in needed and b"json" not in needed
    e = dict(env, LD_DEBUG="files")
    r = run(["a@x.org"], SIMPLE, config_for(smtps), env=e)
    assert_exit(r, 0)
    assert b"libcurl" not in r.stderr and b"libjson-c" not in r.stderr
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider)
    r = run(["--oauth2-authorize", "test"], b"", cfg,
            env=dict(kenv, LD_DEBUG="files"), timeout=40)
    assert b"libcurl.so.4" in r.stderr and b"libjson-c.so.5" in r.stderr


def test_provider_down_with_queue_on_queues(make_server, provider,
                                            config_for, run, kenv, keyring,
                                            tmp_path):
    """queue = yes: the message waits in the queue, and -q sends it once
    the provider answers again (a fresh token, then delivery)."""
    provider.expires_in = 30
    srv = server(make_server, provider.access_token(2))
    qdir = str(tmp_path / "queue")
    cfg = o2_config(config_for, srv, provider, queue="yes", queue_dir=qdir)
    authorized(provider, run, cfg, kenv)
    provider.status = 503
    r = run(["a@x.org"], SIMPLE, cfg, env=kenv)
    assert_exit(r, 0)
    assert r.stderr == b"", show(r)
    out = run(["-bp"], b"", cfg, env=kenv).stdout.decode()
    assert "token endpoint" in out and "HTTP 503" in out, out
    item, = [f for f in os.listdir(qdir)
             if re.fullmatch(r"[0-9a-f]{16}", f)]
    provider.status = None
    r = run(["-qI" + item[8:]], b"", cfg, env=kenv)
    assert_exit(r, 0)
    assert len(srv.messages) == 1
    assert srv.messages[0].rcpt_tos == ["a@x.org"]
    assert provider.posts("/token")[-1][2]["grant_type"] == "refresh_token"


def test_unknown_client_id_is_a_config_error(make_server, provider,
                                             config_for, run, kenv,
                                             keyring):
    srv = server(make_server, "never")
    cfg = o2_config(config_for, srv, provider, oauth2_client_id="nobody")
    r = authorize(run, cfg, kenv)
    assert_exit(r, 78)
    words_in(error_line(r), "device endpoint", "invalid_client")


def test_doctor_checks_the_oauth2_token(make_server, provider, config_for,
                                        run, kenv, keyring):
    """--doctor gets the token as a send does, and logs in with it."""
    srv = server(make_server, provider.access_token(1))
    cfg = o2_config(config_for, srv, provider)
    r = run(["--doctor"], b"", cfg, env=kenv)
    assert_exit(r, 78)
    out = r.stdout.decode()
    assert "FAIL password: oauth2: no grant" in out, out
    assert "fix: see the message; stamp --oauth2-authorize test" in out, out
    authorized(provider, run, cfg, kenv)
    r = run(["--doctor"], b"", cfg, env=kenv)
    assert_exit(r, 0)
    out = r.stdout.decode()
    assert "OK   password: found (from OAuth2, an access token" in out, out
    assert srv.sessions[-1].sasl == [
        b"user=joe\x01auth=Bearer AT1\x01\x01"]
