"""A local OAuth2 provider for the tests: HTTPS on 127.0.0.1 (port 0) with
the harness's test CA (certs.server_context()), in a background thread.

Endpoints (RFC 6749, RFC 7636, RFC 8628):
  GET  /authorize  checks client_id, redirect_uri (http://127.0.0.1:PORT/),
                   response_type=code, code_challenge_method=S256; answers
                   302 to the redirect_uri with code and state (or with
                   error=access_denied when deny=True).  The test fetches it
                   itself (the "browser"), then requests the Location.
  POST /device     a device_code and user_code (RFC 8628 3.2)
  POST /token      grant_type authorization_code (the PKCE verifier must
                   hash to the challenge), device_code (pending=N polls of
                   authorization_pending, slow_down_at=K: the K-th poll
                   gets slow_down, deny=True: access_denied,
                   expire=True: expired_token), refresh_token (revoked
                   refresh tokens get invalid_grant; rotate=True issues a
                   new refresh token each time and revokes the old one).

Access tokens are "AT1", "AT2", ... in order of issue (access_token(n)),
or, with jwt_key (bytes), HS256 JWTs {sub: user, iss, iat, exp} that
Dovecot's local validation accepts (header typ JWT, no kid, no azp: its
key is looked up as default/HS256/default).  Refresh tokens are "RT1",
"RT2", ...; expires_in is what the token answer says.

status=503 makes every POST answer 503; stop() makes the port refuse.
Recorded: requests (method, path, form dict, monotonic time) in order.
"""
import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID = "stamp-test-client"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(key, claims):
    head = b64url(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(key, ("%s.%s" % (head, body)).encode(),
                   hashlib.sha256).digest()
    return "%s.%s.%s" % (head, body, b64url(sig))


class OAuthProvider:
    def __init__(self, certs, user="joe", client_id=CLIENT_ID,
                 client_secret=None, expires_in=3600, jwt_key=None,
                 issuer="https://127.0.0.1/"):
        self.certs = certs
        self.user = user
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.jwt_key = jwt_key
        self.issuer = issuer
        # scripts, set by the tests
        self.pending = 0
        self.slow_down_at = None
        self.deny = False
        self.expire = False
        self.rotate = False
        self.status = None
        self.device_interval = 1
        self.echo = False       # errors quote the secrets the client sent
        self.before_token = None    # f(form), run before /token answers
        self.rt_suffix = ""         # appended to every refresh token
        # state
        self.requests = []
        self.refresh_tokens = set()     # valid ones
        self.revoked = set()
        self.codes = {}                 # code -> (challenge, redirect_uri)
        self.issued_access = []
        self.polls = 0
        self._n_access = 0
        self._n_refresh = 0
        self._n_code = 0
        self._lock = threading.Lock()
        self.httpd = None
        self.port = None

    # -- what the tests use ----------------------------------------------
    @property
    def base(self):
        return "https://127.0.0.1:%d" % self.port

    def keys(self, **over):
        """The oauth2_* keys of a custom account for this provider."""
        k = {"oauth2_provider": "custom", "oauth2_client_id": self.client_id,
             "oauth2_token_endpoint": self.base + "/token",
             "oauth2_authorize_endpoint": self.base + "/authorize",
             "oauth2_device_endpoint": self.base + "/device",
             "oauth2_scope": "mail.send offline_access"}
        if self.client_secret:
            k["oauth2_client_secret"] = self.client_secret
        k.update(over)
        return k

    @staticmethod
    def access_token(n):
        return "AT%d" % n

    def grant(self):
        """A refresh token as if --oauth2-authorize had run: RTn."""
        with self._lock:
            return self._new_refresh()

    def revoke_all(self):
        with self._lock:
            self.revoked |= self.refresh_tokens
            self.refresh_tokens.clear()

    def posts(self, path):
        return [r for r in self.requests if r[0] == "POST" and r[1] == path]

    # -- tokens ----------------------------------------------------------
    def _new_refresh(self):
        self._n_refresh += 1
        rt = "RT%d" % self._n_refresh + self.rt_suffix
        self.refresh_tokens.add(rt)
        return rt

    def _new_access(self):
        self._n_access += 1
        if self.jwt_key is None:
            at = self.access_token(self._n_access)
        else:
            now = int(time.time())
            at = make_jwt(self.jwt_key, {
                "sub": self.user, "iss": self.issuer, "iat": now - 5,
                "exp": now + self.expires_in, "n": self._n_access})
        self.issued_access.append(at)
        return at

    def _tokens(self, refresh=True):
        d = {"access_token": self._new_access(), "token_type": "Bearer",
             "expires_in": self.expires_in}
        if refresh:
            d["refresh_token"] = self._new_refresh()
        return 200, d

    def _client_ok(self, f):
        return (f.get("client_id") == self.client_id and
                (self.client_secret is None or
                 f.get("client_secret") == self.client_secret))

    def token(self, f):
        if not self._client_ok(f):
            return 401, {"error": "invalid_client"}
        gt = f.get("grant_type")
        if gt == "refresh_token":
            rt = f.get("refresh_token")
            if rt not in self.refresh_tokens:
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired "
                             "or revoked."}
            if self.rotate:
                self.refresh_tokens.discard(rt)
                self.revoked.add(rt)
                return self._tokens(True)
            return self._tokens(False)
        if gt == "authorization_code":
            c = self.codes.pop(f.get("code"), None)
            if c is None or c[1] != f.get("redirect_uri"):
                return 400, {"error": "invalid_grant"}
            v = f.get("code_verifier", "").encode()
            if b64url(hashlib.sha256(v).digest()) != c[0] or len(v) < 43:
                return 400, {"error": "invalid_grant",
                             "error_description": "PKCE verification "
                             "failed"}
            return self._tokens(True)
        if gt == "urn:ietf:params:oauth:grant-type:device_code":
            if f.get("device_code") != "DC-1":
                return 400, {"error": "invalid_grant"}
            self.polls += 1
            if self.slow_down_at == self.polls:
                return 400, {"error": "slow_down"}
            if self.deny:
                return 400, {"error": "access_denied"}
            if self.expire:
                return 400, {"error": "expired_token"}
            if self.polls <= self.pending:
                return 400, {"error": "authorization_pending"}
            return self._tokens(True)
        return 400, {"error": "unsupported_grant_type"}

    @staticmethod
    def echoed(body, f):
        """A careless provider: its error quotes what it refuses, the
        way some echo the whole request."""
        sent = [f[k] for k in ("refresh_token", "device_code", "code",
                               "code_verifier", "client_secret") if k in f]
        body = dict(body)
        body["error_description"] = "refused: " + " ".join(sent)
        return body

    def device(self, f):
        if not self._client_ok(f):
            return 401, {"error": "invalid_client"}
        return 200, {"device_code": "DC-1", "user_code": "WDJB-MJHT",
                     "verification_uri": self.base + "/device-login",
                     "expires_in": 600, "interval": self.device_interval}

    def authorize(self, q):
        """(status, Location or None)."""
        ru = q.get("redirect_uri", "")
        p = urllib.parse.urlsplit(ru)
        if (q.get("client_id") != self.client_id or p.scheme != "http" or
                p.hostname != "127.0.0.1" or
                q.get("response_type") != "code" or
                q.get("code_challenge_method") != "S256" or
                not q.get("code_challenge")):
            return 400, None
        if self.deny:
            extra = {"error": "access_denied"}
        else:
            self._n_code += 1
            code = "CODE%d" % self._n_code
            self.codes[code] = (q["code_challenge"], ru)
            extra = {"code": code}
        extra["state"] = q.get("state", "")
        return 302, ru + "?" + urllib.parse.urlencode(extra)

    # -- server ----------------------------------------------------------
    def start(self):
        prov = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, status, body=None, location=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                with prov._lock:
                    prov.requests.append(("GET", u.path, q,
                                          time.monotonic()))
                    if u.path != "/authorize":
                        return self._send(404, {"error": "not_found"})
                    st, loc = prov.authorize(q)
                self._send(st, None if loc else {"error": "invalid_request"},
                           loc)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n).decode()
                f = dict(urllib.parse.parse_qsl(raw))
                with prov._lock:
                    prov.requests.append(("POST", self.path, f,
                                          time.monotonic()))
                    if prov.status:
                        return self._send(prov.status,
                                          {"error": "server_error"})
                    if self.path == "/token":
                        if prov.before_token is not None:
                            prov.before_token(f)
                        st, body = prov.token(f)
                        if st != 200 and prov.echo:
                            body = prov.echoed(body, f)
                    elif self.path == "/device":
                        st, body = prov.device(f)
                    else:
                        st, body = 404, {"error": "not_found"}
                self._send(st, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        ctx = self.certs.server_context()
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def browser(url, ca_pem, timeout=10):
    """Be the user's browser: GET the authorization URL (HTTPS, our CA),
    then follow its 302 to the loopback redirect.  Returns (status of the
    redirect's answer, its body)."""
    import http.client
    u = urllib.parse.urlsplit(url)
    ctx = ssl.create_default_context(cafile=ca_pem)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                    timeout=timeout)
    c.request("GET", u.path + "?" + u.query)
    r = c.getresponse()
    r.read()
    loc = r.getheader("Location")
    c.close()
    if r.status != 302 or not loc:
        return r.status, b""
    return follow(loc, timeout)


def follow(loc, timeout=10):
    import http.client
    v = urllib.parse.urlsplit(loc)
    c = http.client.HTTPConnection(v.hostname, v.port, timeout=timeout)
    c.request("GET", v.path + "?" + v.query)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body
