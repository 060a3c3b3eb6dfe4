"""TLS (issue 4): what stamp trusts, what it presents, which versions it
speaks, and that nothing secret is sent before the server is verified.

Decisions tested here (tls.h, stamp.ini(5)):
  - without tls_fingerprint: the chain (tls_trust_file or the system store)
    and the host name must verify; self-signed, expired and wrong-name
    certificates are refused with 69 before any AUTH;
  - tls_fingerprint REPLACES the chain and name checks (as in msmtp): the
    pinned certificate is accepted whoever signed it, and any other is
    refused, even one that would pass the chain and name checks;
  - a server that requires a client certificate and gets none, or refuses
    ours, is a permanent failure: 69 (with TLS 1.3 the refusal arrives on
    the first read after the handshake; still 69);
  - no TLS version in common (tls_min_version) is 69, saying so.
"""
import base64
import socket
import ssl
import threading

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, error_line, \
    words_in
from stamptest.syslog import parse_datagram, parse_log_line

MODES = ["smtps", "starttls"]


def assert_nothing_after_tls_failed(srv, mode):
    """The TLS check failed: no AUTH, no MAIL, no message; with STARTTLS
    the server saw only EHLO and STARTTLS in clear."""
    srv.settle()
    assert srv.auth_commands() == [], srv.commands
    assert srv.messages == []
    if mode == "smtps":
        assert srv.commands == [], srv.commands
    else:
        assert srv.verbs() == ["EHLO", "STARTTLS"], srv.commands


def log_fields(r):
    assert len(r.syslog) == 1, r.syslog
    return parse_log_line(parse_datagram(r.syslog[0])["msg"])


# -- the server's certificate ---------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cert,why", [
    ("untrusted", ("self-signed", "self signed")),
    ("expired", "expired"),
    ("wrongname", ("hostname mismatch", "host name mismatch")),
])
def test_bad_certificate_refused_before_auth(tls_server, config_for, run,
                                             mode, cert, why):
    srv = tls_server(mode, cert=cert)
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 69)
    words_in(error_line(r), "certificate", why)
    assert_nothing_after_tls_failed(srv, mode)


@pytest.mark.parametrize("mode", MODES)
def test_ca_signed_certificate_with_right_name_accepted(tls_server,
                                                        config_for, run,
                                                        mode):
    srv = tls_server(mode)
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.sessions[-1].tls_at_auth == [True]


def test_ip_address_checked_against_ip_san(tls_server, config_for, run):
    """host = 127.0.0.1 is verified against the IP SAN, and a certificate
    without it (wrongname) is refused."""
    good = tls_server("smtps")
    r = run(["a@x.org"], SIMPLE, config_for(good, host="127.0.0.1"))
    assert_sent(r, good, ["a@x.org"], R.crlf(SIMPLE))
    bad = tls_server("smtps", cert="wrongname")
    r = run(["a@x.org"], SIMPLE, config_for(bad, host="127.0.0.1"))
    assert_exit(r, 69)
    words_in(error_line(r), "127.0.0.1", ("mismatch", "not for"))
    assert_nothing_after_tls_failed(bad, "smtps")


# -- tls_fingerprint --------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cert", ["server", "untrusted", "expired",
                                  "wrongname"])
def test_right_pin_is_enough(tls_server, certs, config_for, run, mode, cert):
    """The pin replaces the chain and name checks: with no trust file (the
    system store knows none of these), the pinned certificate is accepted
    even when it is self-signed, expired or for another name."""
    srv = tls_server(mode, cert=cert)
    cfg = config_for(srv, tls_trust_file=None,
                     tls_fingerprint=certs.fingerprint(cert))
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))


def test_pin_in_openssl_notation(tls_server, certs, config_for, run):
    """As "openssl x509 -fingerprint -sha256" prints it: AB:CD:..."""
    srv = tls_server("smtps", cert="untrusted")
    fp = certs.fingerprint("untrusted").upper()
    fp = ":".join(fp[i:i + 2] for i in range(0, len(fp), 2))
    r = run(["a@x.org"], SIMPLE, config_for(srv, tls_fingerprint=fp))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))


def colons(hexstr):
    h = hexstr.upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cert", ["server", "untrusted"])
def test_wrong_pin_refused_before_auth(tls_server, certs, config_for, run,
                                       mode, cert):
    """A pin that does not match refuses the server, even one whose chain
    and name would verify (cert=server, the trust file still set): the pin
    is not an alternative to the checks but replaces them."""
    srv = tls_server(mode, cert=cert)
    other = "wrongname" if cert == "server" else "server"
    cfg = config_for(srv, tls_fingerprint=certs.fingerprint(other))
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 69)
    line = error_line(r)
    words_in(line, "fingerprint mismatch")
    assert "server has SHA256 %s" % colons(certs.fingerprint(cert)) in line
    assert "tls_fingerprint expects %s" % colons(
        certs.fingerprint(other)) in line, line
    assert_nothing_after_tls_failed(srv, mode)


# -- client certificates ----------------------------------------------------

VERSIONS = ["TLSv1_2", "TLSv1_3"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("version", VERSIONS)
def test_client_certificate_presented(tls_server, certs, config_for, run,
                                      mode, version):
    srv = tls_server(mode, client_ca=True, max_version=version)
    cfg = config_for(srv, tls_cert_file=certs.client_pem,
                     tls_key_file=certs.client_key)
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.sessions[-1].tls_version == version.replace("_", ".")


class AlertingServer:
    """One connection, blocking, scripted: for how stamp takes a server's
    TLS alerts.  aiosmtpd runs on asyncio, which drops the alert OpenSSL
    writes when a handshake fails and just closes; real servers (Postfix,
    Dovecot: OpenSSL on a socket) send it, and so does this one.  With
    mode "starttls" it says 220, offers STARTTLS and says 220 to it first.
    .clear holds what the client sent before TLS; .tls_error the server's
    handshake failure; .after_tls what arrived over TLS, if it succeeded."""

    def __init__(self, ctx, mode="smtps"):
        self.ctx, self.mode = ctx, mode
        self.clear, self.after_tls = bytearray(), bytearray()
        self.tls_error = None
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.port = self.lsock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _line(self, conn):
        while b"\n" not in self.clear[self._seen:]:
            b = conn.recv(1024)
            if not b:
                raise EOFError
            self.clear += b
        end = self.clear.index(b"\n", self._seen) + 1
        line, self._seen = bytes(self.clear[self._seen:end]), end
        return line

    def _serve(self):
        self._seen = 0
        try:
            conn, _ = self.lsock.accept()
        except OSError:
            return
        conn.settimeout(10)
        try:
            if self.mode == "starttls":
                conn.sendall(b"220 mx.test ESMTP\r\n")
                self._line(conn)
                conn.sendall(b"250-mx.test\r\n250 STARTTLS\r\n")
                self._line(conn)
                conn.sendall(b"220 2.0.0 go ahead\r\n")
            t = self.ctx.wrap_socket(conn, server_side=True)
            t.sendall(b"220 mx.test ESMTP\r\n")
            self.after_tls += t.recv(4096)
        except (ssl.SSLError, OSError, EOFError) as e:
            self.tls_error = e
        finally:
            conn.close()

    def stop(self):
        self.lsock.close()
        self.thread.join(10)


@pytest.fixture
def alerting_server(certs):
    started = []

    def make(mode="smtps", **opts):
        srv = AlertingServer(certs.with_server(**opts).server_context(),
                             mode)
        started.append(srv)
        return srv
    yield make
    for srv in started:
        srv.stop()


def assert_no_auth_alerting(srv, mode):
    srv.thread.join(10)
    assert srv.tls_error is not None
    assert srv.after_tls == b""
    want = b"" if mode == "smtps" else None
    if want is not None:
        assert bytes(srv.clear) == want, srv.clear
    else:
        verbs = [l.split()[0].upper() for l in bytes(srv.clear).splitlines()]
        assert verbs == [b"EHLO", b"STARTTLS"], srv.clear


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("version", VERSIONS)
def test_client_certificate_missing(alerting_server, config_for, run, mode,
                                    version):
    """The server requires one, we have none, it says so with an alert:
    69 (permanent: only a configuration change helps), saying what to
    set.  With TLS 1.3 the alert comes after our side of the handshake,
    on the first read; same outcome."""
    srv = alerting_server(mode, client_ca=True, max_version=version)
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 69)
    words_in(error_line(r), "requires a TLS client certificate",
             "tls_cert_file")
    assert_no_auth_alerting(srv, mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("version", VERSIONS)
def test_client_certificate_refused(alerting_server, certs, config_for, run,
                                    mode, version):
    srv = alerting_server(mode, client_ca=True, max_version=version)
    cfg = config_for(srv, tls_cert_file=certs.rogueclient_pem,
                     tls_key_file=certs.rogueclient_key)
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 69)
    words_in(error_line(r), "refused", "client certificate",
             certs.rogueclient_pem)
    assert_no_auth_alerting(srv, mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("version", VERSIONS)
def test_client_certificate_missing_server_just_closes(
        tls_server, config_for, run, mode, version):
    """A server that hangs up without an alert (asyncio's, aiosmtpd's)
    might have done so for any reason: 75 as for any dropped connection,
    but the message says the server had asked for a client certificate."""
    srv = tls_server(mode, client_ca=True, max_version=version)
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 75)
    words_in(error_line(r), ("closed", "lost"),
             "asked for a TLS client certificate",
             "tls_cert_file")
    srv.settle()
    assert srv.auth_commands() == [] and srv.messages == []


@pytest.mark.parametrize("which", ["cert", "key"])
def test_client_certificate_file_missing(tls_server, certs, config_for, run,
                                         tmp_path, which):
    srv = tls_server("smtps")
    missing = str(tmp_path / "nonexistent.pem")
    files = {"cert": certs.client_pem, "key": certs.client_key}
    files[which] = missing
    cfg = config_for(srv, tls_cert_file=files["cert"],
                     tls_key_file=files["key"])
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 78)
    words_in(error_line(r), "tls_%s_file" % which, missing)
    srv.settle()
    assert srv.auth_commands() == [] and srv.messages == []


def test_client_key_not_matching_certificate(tls_server, certs, config_for,
                                             run):
    srv = tls_server("smtps")
    cfg = config_for(srv, tls_cert_file=certs.client_pem,
                     tls_key_file=certs.server_key)
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 78)
    words_in(error_line(r), "does not match", certs.server_key,
             certs.client_pem)
    srv.settle()
    assert srv.auth_commands() == [] and srv.messages == []


def test_client_key_with_passphrase_is_not_prompted_for(
        tls_server, certs, config_for, run, tmp_path):
    """An encrypted key must fail at once (78), never wait at a prompt."""
    import subprocess
    enc = str(tmp_path / "enc.key")
    subprocess.run(["openssl", "pkey", "-in", certs.client_key, "-aes256",
                    "-passout", "pass:pw", "-out", enc], check=True,
                   capture_output=True)
    srv = tls_server("smtps", client_ca=True)
    cfg = config_for(srv, tls_cert_file=certs.client_pem, tls_key_file=enc)
    r = run(["a@x.org"], SIMPLE, cfg, timeout=15)
    assert_exit(r, 78)
    words_in(error_line(r), "tls_key_file", enc)


# -- TLS versions -------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_min_version_13_against_12_only_server(alerting_server, config_for,
                                               run, mode):
    srv = alerting_server(mode, max_version="TLSv1_2")
    r = run(["a@x.org"], SIMPLE, config_for(srv, tls_min_version="1.3"))
    assert_exit(r, 69)
    words_in(error_line(r), "protocol version", "TLS 1.3", "tls_min_version")
    assert_no_auth_alerting(srv, mode)


@pytest.mark.parametrize("mode", MODES)
def test_min_version_13_against_12_only_server_that_just_closes(
        tls_server, config_for, run, mode):
    """Without an alert it is a dropped connection (75), with a hint."""
    srv = tls_server(mode, max_version="TLSv1_2")
    r = run(["a@x.org"], SIMPLE, config_for(srv, tls_min_version="1.3"))
    assert_exit(r, 75)
    words_in(error_line(r), "closed", "tls_min_version = 1.3")
    assert_nothing_after_tls_failed(srv, mode)


def test_min_version_13_accepted_by_13_server(tls_server, config_for,
                                              run_syslog):
    srv = tls_server("smtps")
    r = run_syslog(["a@x.org"], SIMPLE,
                   config_for(srv, tls_min_version="1.3"))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert log_fields(r)["tls"] == "TLSv1.3"


@pytest.mark.parametrize("mode", MODES)
def test_default_accepts_tls_12(tls_server, config_for, run_syslog, mode):
    srv = tls_server(mode, max_version="TLSv1_2")
    r = run_syslog(["a@x.org"], SIMPLE, config_for(srv))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.sessions[-1].tls_version == "TLSv1.2"
    assert log_fields(r)["tls"] == "TLSv1.2"


# -- a man in the middle that strips STARTTLS --------------------------------

def secrets_of(password=R.PASSWORD, user=R.USER):
    """The password and the forms it takes on the wire (PLAIN, LOGIN)."""
    p, u = password.encode(), user.encode()
    return [p, base64.b64encode(p), base64.b64encode(b"\0" + u + b"\0" + p),
            base64.b64encode(u + b"\0" + u + b"\0" + p)]


class StripStartTLS:
    """A plain-text proxy on 127.0.0.1 between stamp and a STARTTLS server:
    it removes STARTTLS from every multi-line 250 reply and adds AUTH PLAIN
    LOGIN as bait.  Everything the client sends is kept in .from_client."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.from_client = bytearray()
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.port = self.lsock.getsockname()[1]
        self.threads = []
        self.accepter = threading.Thread(target=self._accept, daemon=True)
        self.accepter.start()

    def _accept(self):
        try:
            client, _ = self.lsock.accept()
        except OSError:
            return
        server = socket.create_connection(("127.0.0.1", self.upstream))
        for target in (lambda: self._client_to_server(client, server),
                       lambda: self._server_to_client(server, client)):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self.threads.append(t)

    def _client_to_server(self, client, server):
        while True:
            try:
                b = client.recv(4096)
            except OSError:
                b = b""
            if not b:
                break
            self.from_client += b
            try:
                server.sendall(b)
            except OSError:
                break
        for s in (server, client):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def rewrite(reply):
        """One complete reply (a list of lines with CRLF) as the proxy
        forwards it."""
        if len(reply) < 2 or not reply[0].startswith(b"250"):
            return reply
        kept = [l for l in reply
                if l[4:].strip().upper() != b"STARTTLS"]
        if not any(l[4:].upper().startswith(b"AUTH") for l in kept):
            kept.insert(1, b"250-AUTH PLAIN LOGIN\r\n")
        body = [b"250-" + l[4:] for l in kept[:-1]]
        return body + [b"250 " + kept[-1][4:]]

    def _server_to_client(self, server, client):
        buf, reply = b"", []
        while True:
            try:
                b = server.recv(4096)
            except OSError:
                b = b""
            if not b:
                break
            buf += b
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                reply.append(line + b"\r\n")
                if len(line) < 4 or line[3:4] != b"-":
                    try:
                        client.sendall(b"".join(self.rewrite(reply)))
                    except OSError:
                        return
                    reply = []
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self):
        self.lsock.close()
        for t in self.threads:
            t.join(5)


def test_proxy_rewrites_as_intended():
    ehlo = [b"250-mx.test\r\n", b"250-SIZE 33554432\r\n",
            b"250-STARTTLS\r\n", b"250 HELP\r\n"]
    assert StripStartTLS.rewrite(ehlo) == [
        b"250-mx.test\r\n", b"250-AUTH PLAIN LOGIN\r\n",
        b"250-SIZE 33554432\r\n", b"250 HELP\r\n"]
    last = [b"250-mx.test\r\n", b"250 STARTTLS\r\n"]
    assert StripStartTLS.rewrite(last) == [
        b"250-mx.test\r\n", b"250 AUTH PLAIN LOGIN\r\n"]


def test_starttls_stripped_by_man_in_the_middle(tls_server, config_for, run):
    srv = tls_server("starttls")
    mitm = StripStartTLS(srv.port)
    try:
        cfg = config_for(srv, port=mitm.port)
        r = run(["a@x.org"], SIMPLE, cfg)
    finally:
        mitm.close()
    assert_exit(r, 69)
    words_in(error_line(r), "STARTTLS")
    sent = bytes(mitm.from_client)
    assert sent.upper().startswith(b"EHLO "), sent   # it did get through
    assert b"AUTH" not in sent.upper(), sent
    assert b"MAIL" not in sent.upper(), sent
    for s in secrets_of():
        assert s not in sent, (s, sent)
    srv.settle()
    assert srv.auth_commands() == [] and srv.messages == []


# -- the system store: SSL_CERT_DIR (hashed, searched lazily), SSL_CERT_FILE --

def _hashed_dir(tmp_path, certs, rehash=True):
    import shutil
    import subprocess
    d = tmp_path / "cadir"
    d.mkdir()
    shutil.copy(certs.ca_pem, d / "testca.pem")
    if rehash:
        subprocess.run(["openssl", "rehash", str(d)], check=True)
    return d


def test_system_store_hashed_directory(smtps, config_for, run, env, certs,
                                       tmp_path):
    """No tls_trust_file: the CA is found in the system store's hashed
    directory (the fast path: no bundle parsed)."""
    d = _hashed_dir(tmp_path, certs)
    cfg = config_for(smtps, tls_trust_file=None)
    r = run(["a@x.org"], SIMPLE, cfg, env=dict(env, SSL_CERT_DIR=str(d)))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_system_store_cert_file_is_honoured(smtps, config_for, run, env,
                                            certs, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    cfg = config_for(smtps, tls_trust_file=None)
    r = run(["a@x.org"], SIMPLE, cfg,
            env=dict(env, SSL_CERT_FILE=certs.ca_pem, SSL_CERT_DIR=str(empty)))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_system_store_without_hash_links_falls_back(smtps, config_for, run,
                                                    env, certs, tmp_path):
    """A directory without c_rehash links cannot be searched: OpenSSL's
    defaults are used, which do not hold the test CA, so: refused."""
    d = _hashed_dir(tmp_path, certs, rehash=False)
    cfg = config_for(smtps, tls_trust_file=None)
    r = run(["a@x.org"], SIMPLE, cfg, env=dict(env, SSL_CERT_DIR=str(d)))
    assert_exit(r, 69)
    assert "certificate" in error_line(r).lower(), error_line(r)
    smtps.settle()
    assert smtps.messages == []
