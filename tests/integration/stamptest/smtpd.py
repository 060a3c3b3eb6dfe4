"""An aiosmtpd server on 127.0.0.1 (port 0) in a background thread, recording
what the client does.

Modes:
  "smtps"              implicit TLS on the listening socket
  "starttls"           STARTTLS offered and required; AUTH offered only after it
  "plain-no-starttls"  no TLS at all; AUTH is still advertised (as a
                       downgrading man in the middle would), so a client that
                       sends AUTH here is caught, not merely not tempted

replies={"GREETING"|"STARTTLS"|"MAIL"|"RCPT"|"DATA": "451 4.3.0 text"} replaces the
server's answer (RCPT may map the address to a reply or None); "DROP" closes
the connection instead of answering (GREETING, DATA).

EHLO keywords per server: dsn=True adds DSN (RFC 3461) and accepts RET/ENVID
on MAIL and NOTIFY/ORCPT on RCPT (without it they get 555, as from a server
that does not know them); smtputf8=False drops SMTPUTF8 (aiosmtpd then
refuses non-ASCII command lines and the SMTPUTF8 parameter); eightbitmime=False
drops 8BITMIME (a BODY= parameter is still accepted, and recorded);
pipelining=True adds PIPELINING (RFC 2920: aiosmtpd reads commands from a
stream, so pipelined input works anyway); chunking=True adds CHUNKING and
BDAT (RFC 3030), which aiosmtpd 1.4.3 lacks: exactly n octets are read
after "BDAT n [LAST]" (and discarded when the command is refused), the
chunks of the transaction are joined, and LAST delivers them as they are
(no dot-unstuffing); replies={"BDAT": ...} refuses BDAT.

AUTH PLAIN and LOGIN against one user/password (a wrong password gets
"535 5.7.8 Authentication credentials invalid"); auth_mechanisms limits what is
advertised (PLAIN and LOGIN by default).  AUTH is required before MAIL.
The server side of the other mechanisms is here too (_ServerMechs, Python's
hashlib/hmac): CRAM-MD5, DIGEST-MD5 (rspauth), SCRAM-SHA-1/256 (salt,
iterations=4096) and -PLUS with tls-unique (TLS 1.2 only: Python's ssl has
no exporter for TLS 1.3's tls-exporter), XOAUTH2 and OAUTHBEARER (the
password is the token; a wrong one gets the error JSON, oauth_error, in a
334, then 535), EXTERNAL (the client certificate must have been verified:
certs.with_server(client_ca=True); an authzid must be the user).
bad_server_proof=True sends a wrong SCRAM v= / DIGEST-MD5 rspauth.
Session.sasl holds every client message of the exchange, base64-decoded
(the initial response first), Session.cb_type the channel binding used.

Recorded per connection (Session): every client command line as raw bytes
(with its CRLF), AUTH continuation responses, the raw DATA lines (still
dot-stuffed), whether the connection was TLS when each AUTH arrived; and per
accepted message (Message): mail_from, rcpt_tos, mail_options and content,
the bytes exactly as received (envelope.original_content: CRLF line ends,
dot-unstuffed); mail_params (the MAIL parameters exactly as sent, case kept,
DSN ones included) and rcpt_params (one such list per accepted RCPT).
aiosmtpd's own mail_options are upper-cased and lack the DSN parameters.

Round trips: for every command line, Session.batches holds how many
replies the server had sent when the bytes of that line arrived (the
count when the read that delivered its last byte happened).  Commands
that a client pipelined share a number; a client in lockstep shows a new
number for every command.  srv.batch_of() pairs the verbs with them.
Session.bdat lists the BDAT chunks as received.

TLS session resumption: Session.session_reused is whether the client
resumed a session (None: no TLS); srv.reused() lists it per TLS session.

    with SMTPServer(certs, mode="smtps") as srv:
        ... srv.port ...
        srv.settle()      # wait until the client has gone, then inspect
        srv.messages, srv.commands, srv.auth_commands()
"""
import asyncio
import logging
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import List, Optional

import base64
import hashlib
import hmac
import os
import re

from aiosmtpd.smtp import (MISSING, SMTP, AuthResult, LoginPassword,
                           auth_mechanism)


class _Quiet(logging.Filter):
    """aiosmtpd 1.4.3 warns about what it does itself (login_data) and about
    the AUTH-in-clear bait we set up on purpose."""
    NOISE = ("Session.login_data is deprecated",
             "auth_required == True but auth_require_tls == False")

    def filter(self, record):
        return not any(n in record.getMessage() for n in self.NOISE)


logging.getLogger("mail.log").addFilter(_Quiet())
warnings.filterwarnings("ignore", message="Session.login_data is deprecated")

MODES = ("smtps", "starttls", "plain-no-starttls")
DSN_MAIL = ("RET", "ENVID")            # RFC 3461 4.3, 4.4
DSN_RCPT = ("NOTIFY", "ORCPT")         # RFC 3461 4.1, 4.2
HOST = "127.0.0.1"
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
              "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS",
              "XOAUTH2", "OAUTHBEARER", "EXTERNAL")
OAUTH_ERROR = ('{"status":"401","schemes":"bearer",'
               '"scope":"https://mail.google.com/"}')


@dataclass
class Session:
    commands: List[bytes] = field(default_factory=list)
    auth_responses: List[bytes] = field(default_factory=list)
    data_lines: List[bytes] = field(default_factory=list)
    tls_at_auth: List[bool] = field(default_factory=list)
    tls_version: Optional[str] = None
    closed: bool = False
    batches: List[int] = field(default_factory=list)
    bdat: List[bytes] = field(default_factory=list)
    sasl: List[bytes] = field(default_factory=list)
    cb_type: Optional[str] = None
    session_reused: Optional[bool] = None   # TLS: a resumed session?


@dataclass
class Message:
    mail_from: str
    rcpt_tos: List[str]
    mail_options: List[str]
    content: bytes
    session: Session
    mail_params: List[str] = field(default_factory=list)
    rcpt_params: List[List[str]] = field(default_factory=list)


class _Handler:
    """Accepts everything unless told to reply otherwise."""

    def __init__(self, server):
        self.srv = server

    async def handle_exception(self, error):
        # e.g. a client refusing our certificate after STARTTLS: expected in
        # the failure tests; keep it (srv.errors) instead of a traceback.
        self.srv.errors.append(error)
        return "500 Error: (%s) %s" % (error.__class__.__name__, error)

    async def handle_MAIL(self, smtp, session, envelope, address, options):
        r = self.srv.replies.get("MAIL")
        if r:
            return r
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        envelope.stamptest_mail = list(smtp.raw_params)
        envelope.stamptest_rcpt = []
        return "250 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, options):
        r = self.srv.replies.get("RCPT")
        if callable(r):
            r = r(address)
        if r:
            return r
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        envelope.stamptest_rcpt.append(list(smtp.raw_params))
        return "250 OK"

    async def handle_EHLO(self, smtp, session, envelope, hostname,
                          responses):
        # The five-argument hook replaces aiosmtpd's keyword list; it
        # then leaves remembering the EHLO name to us.
        session.host_name = hostname
        if not self.srv.eightbitmime:
            responses = [r for r in responses
                         if r[4:].upper() != "8BITMIME"]
        if self.srv.dsn:
            responses.insert(len(responses) - 1, "250-DSN")
        if self.srv.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        if self.srv.chunking:
            responses.insert(len(responses) - 1, "250-CHUNKING")
        return responses

    async def handle_DATA(self, smtp, session, envelope):
        r = self.srv.replies.get("DATA")
        if r == "DROP":                  # vanish instead of answering
            smtp.drop()
            return "250 OK (never sent)"
        if r:
            return r
        self.deliver(smtp, envelope, bytes(envelope.original_content))
        return "250 OK"

    def deliver(self, smtp, envelope, content):
        self.srv.messages.append(Message(
            envelope.mail_from, list(envelope.rcpt_tos),
            list(envelope.mail_options), content,
            smtp.rec, list(envelope.stamptest_mail),
            list(envelope.stamptest_rcpt)))


def _b64(b):
    return base64.b64encode(b).decode()


class _ServerMechs:
    """Server side of the SASL mechanisms beyond PLAIN and LOGIN (which
    aiosmtpd has).  Each returns an AuthResult: 235 on success, 535 5.7.8
    for wrong credentials; a client's "*" (MISSING) ends it silently."""

    FAIL = AuthResult(success=False, handled=False)
    QUIET = AuthResult(success=False, handled=True)

    def _ok(self):
        return AuthResult(success=True, auth_data=LoginPassword(
            self.srv.user, self.srv.password))

    async def _first(self, args):
        """The initial response ("=" is empty), or an empty challenge."""
        if len(args) > 1:
            blob = b"" if args[1] == "=" else base64.b64decode(
                args[1], validate=True)
        else:
            blob = await self.challenge_auth("")
        if blob is not MISSING:
            self.rec.sasl.append(blob)
        return blob

    async def _next(self, challenge):
        blob = await self.challenge_auth(challenge)
        if blob is not MISSING:
            self.rec.sasl.append(blob)
        return blob

    @auth_mechanism("CRAM-MD5")
    async def auth_CRAM_MD5(self, server, args):
        ch = b"<%d.%d@mx.test>" % (os.getpid(), int(time.time()))
        blob = await self._next(ch)
        if blob is MISSING:
            return self.QUIET
        user, _, digest = blob.rpartition(b" ")
        want = hmac.new(self.srv.password, ch, "md5").hexdigest().encode()
        return self._ok() if (user == self.srv.user and hmac.compare_digest(
            digest, want)) else self.FAIL

    @auth_mechanism("DIGEST-MD5")
    async def auth_DIGEST_MD5(self, server, args):
        nonce = _b64(os.urandom(12))
        blob = await self._next(
            'realm="mx.test",nonce="%s",qop="auth",charset=utf-8,'
            'algorithm=md5-sess' % nonce)
        if blob is MISSING:
            return self.QUIET
        d = dict((k, v1 if v1 else v2) for k, v1, v2 in re.findall(
            r'([a-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,]*))',
            blob.decode("utf-8", "replace")))
        H = lambda b: hashlib.md5(b).digest()
        HX = lambda b: hashlib.md5(b).hexdigest().encode()
        a1 = (H(b"%s:%s:%s" % (d.get("username", "").encode(),
                                d.get("realm", "").encode(),
                                self.srv.password))
              + (":%s:%s" % (nonce, d.get("cnonce", ""))).encode())
        if "authzid" in d:
            a1 += b":" + d["authzid"].encode()

        def kd(a2):
            return HX(HX(a1) + (":%s:%s:%s:auth:" % (
                nonce, d.get("nc", ""), d.get("cnonce", ""))).encode()
                + HX(a2.encode()))
        uri = d.get("digest-uri", "")
        if (d.get("username", "").encode() != self.srv.user
                or d.get("nonce") != nonce or uri != "smtp/localhost"
                or kd("AUTHENTICATE:" + uri) != d.get("response",
                                                       "").encode()):
            return self.FAIL
        rsp = kd(":" + uri)
        if self.srv.bad_server_proof:
            rsp = rsp[:-1] + (b"0" if rsp[-1:] != b"0" else b"1")
        blob = await self._next(b"rspauth=" + rsp)
        return self._ok() if blob == b"" else self.QUIET

    async def _scram(self, args, name, plus):
        first = await self._first(args)
        if first is MISSING:
            return self.QUIET
        m = re.match(rb"^(n|y|p=([a-z-]+)),(a=[^,]*)?,(n=([^,]*),r=(.*))$",
                     first)
        if m is None:
            return AuthResult(success=False, handled=False,
                              message="501 5.5.2 bad client-first")
        gs2 = first[:m.start(4)]
        flag, user, cnonce = m.group(1), m.group(5), m.group(6)
        if plus != flag.startswith(b"p="):
            return self.FAIL
        if flag == b"y" and any(x.endswith("-PLUS")
                                for x in self.srv.auth_mechanisms):
            return self.FAIL          # RFC 5802 6: a downgrade
        cb = b""
        if plus:
            self.rec.cb_type = m.group(2).decode()
            ssl_obj = self.transport.get_extra_info("ssl_object")
            cb = (ssl_obj.get_channel_binding(self.rec.cb_type)
                  if self.rec.cb_type == "tls-unique" else None)
            if cb is None:
                blob = await self._next(b"e=unsupported-channel-binding-type")
                return self.FAIL
        salt, iters = os.urandom(16), self.srv.iterations
        snonce = cnonce + _b64(os.urandom(18)).encode()
        sfirst = b"r=%s,s=%s,i=%d" % (snonce, _b64(salt).encode(), iters)
        final = await self._next(sfirst)
        if final is MISSING:
            return self.QUIET
        fm = re.match(rb"^(c=([^,]*),r=([^,]*)),p=(.*)$", final)
        if (fm is None or fm.group(3) != snonce
                or base64.b64decode(fm.group(2)) != gs2 + cb):
            return self.FAIL
        salted = hashlib.pbkdf2_hmac(name, self.srv.password, salt, iters)
        am = m.group(4) + b"," + sfirst + b"," + fm.group(1)
        ckey = hmac.new(salted, b"Client Key", name).digest()
        stored = hashlib.new(name, ckey).digest()
        csig = hmac.new(stored, am, name).digest()
        proof = base64.b64decode(fm.group(4))
        if (user != self.srv.user or len(proof) != len(csig) or hashlib.new(
                name, bytes(a ^ b for a, b in zip(proof, csig))).digest()
                != stored):
            return self.FAIL
        ssig = hmac.new(hmac.new(salted, b"Server Key", name).digest(), am,
                        name).digest()
        if self.srv.bad_server_proof:
            ssig = bytes([ssig[0] ^ 1]) + ssig[1:]
        blob = await self._next(b"v=" + _b64(ssig).encode())
        return self._ok() if blob == b"" else self.QUIET

    @auth_mechanism("SCRAM-SHA-1")
    async def auth_SCRAM_SHA_1(self, server, args):
        return await self._scram(args, "sha1", False)

    @auth_mechanism("SCRAM-SHA-256")
    async def auth_SCRAM_SHA_256(self, server, args):
        return await self._scram(args, "sha256", False)

    @auth_mechanism("SCRAM-SHA-1-PLUS")
    async def auth_SCRAM_SHA_1_PLUS(self, server, args):
        return await self._scram(args, "sha1", True)

    @auth_mechanism("SCRAM-SHA-256-PLUS")
    async def auth_SCRAM_SHA_256_PLUS(self, server, args):
        return await self._scram(args, "sha256", True)

    async def _oauth(self, args, bearer):
        ir = await self._first(args)
        if ir is MISSING:
            return self.QUIET
        fields = ir.split(b"\x01")
        if bearer:          # RFC 7628 3.1: gs2 header, then key=value
            user = fields[0][len(b"n,a="):].rstrip(b",")
        else:
            user = fields[0][len(b"user="):]
        kv = dict(f.split(b"=", 1) for f in fields[1:] if b"=" in f)
        if (user == self.srv.user
                and kv.get(b"auth") == b"Bearer " + self.srv.password):
            return self._ok()
        blob = await self._next(self.srv.oauth_error.encode())
        if blob is MISSING:
            return self.QUIET
        return self.FAIL

    @auth_mechanism("XOAUTH2")
    async def auth_XOAUTH2(self, server, args):
        return await self._oauth(args, False)

    @auth_mechanism("OAUTHBEARER")
    async def auth_OAUTHBEARER(self, server, args):
        return await self._oauth(args, True)

    @auth_mechanism("EXTERNAL")
    async def auth_EXTERNAL(self, server, args):
        authzid = await self._first(args)
        if authzid is MISSING:
            return self.QUIET
        ssl_obj = self.transport.get_extra_info("ssl_object")
        cert = ssl_obj.getpeercert() if ssl_obj is not None else None
        if not cert or authzid not in (b"", self.srv.user):
            return self.FAIL
        return self._ok()


class _RecordingSMTP(_ServerMechs, SMTP):
    def __init__(self, server, **kw):
        self.srv = server
        self.rec = Session()
        self._phase = "command"
        self._drained = False
        self._greeted = False
        self._dropped = False
        self.raw_params = []             # of the MAIL/RCPT being handled
        self._pushes = 0                 # replies sent so far
        self._rx = []                    # (end offset, replies sent then)
        self._rx_total = 0               # bytes received
        self._rx_used = 0                # bytes handed to the protocol
        self._rx_i = 0
        self._chunks = b""               # BDAT chunks of the transaction
        super().__init__(_Handler(server), **kw)

    # aiosmtpd 1.4.3 only counts STARTTLS as TLS when deciding whether to
    # offer/accept AUTH; make implicit TLS count too.
    @property
    def _auth_require_tls(self):
        return self._cfg_auth_require_tls and not self._is_tls()

    @_auth_require_tls.setter
    def _auth_require_tls(self, value):
        self._cfg_auth_require_tls = value

    def _is_tls(self):
        t = self.transport
        return t is not None and t.get_extra_info("ssl_object") is not None

    def connection_made(self, transport):
        first = self.transport is None
        super().connection_made(transport)
        if first:
            self.srv._opened(self)
        ssl_obj = transport.get_extra_info("ssl_object")
        if ssl_obj is not None:
            self.rec.tls_version = ssl_obj.version()
            self.rec.session_reused = ssl_obj.session_reused

    def connection_lost(self, error):
        self._record_unread()
        try:
            super().connection_lost(error)
            # aiosmtpd's __del__ hides StreamReaderProtocol's, which would
            # have marked this exception as seen ("never retrieved" noise).
            fut = getattr(self, "_closed", None)
            if fut is not None and fut.done() and not fut.cancelled():
                fut.exception()
        finally:
            self.srv._closed(self)

    def _client_connected_cb(self, reader, writer):
        super()._client_connected_cb(reader, writer)
        orig = reader.readuntil

        async def readuntil(separator=b"\n"):
            line = await orig(separator)
            self._record(bytes(line), self._consume(len(line)))
            return line
        # readline() goes through readuntil() too (AUTH continuations).
        reader.readuntil = readuntil

    def data_received(self, data):
        self._rx_total += len(data)
        self._rx.append((self._rx_total, self._pushes))
        super().data_received(data)

    def _consume(self, n):
        """n more bytes were read: the replies sent when the last of them
        arrived."""
        self._rx_used += n
        while (self._rx_i < len(self._rx) - 1
               and self._rx[self._rx_i][0] < self._rx_used):
            self._rx_i += 1
        return self._rx[self._rx_i][1] if self._rx else 0

    async def push(self, status):
        self._pushes += 1
        if self._dropped:
            return
        if not self._greeted:
            self._greeted = True
            g = self.srv.replies.get("GREETING")
            if g == "DROP":
                return self.drop()
            if g:
                await super().push(g)
                self.transport.close()
                return
        await super().push(status)

    def drop(self):
        """Close the connection at once, saying nothing more."""
        self._dropped = True
        if self.transport is not None:
            self.transport.abort()

    def _record(self, line, batch=0):
        if self._phase == "command":
            self.rec.batches.append(batch)
        {"command": self.rec.commands,
         "auth": self.rec.auth_responses,
         "data": self.rec.data_lines}[self._phase].append(line)
        if self._phase == "data" and line == b".\r\n":
            self._phase = "command"      # what follows are commands again

    def _record_unread(self):
        """aiosmtpd stops reading at EOF (eof_received cancels the handler)
        even when complete lines are still buffered, e.g. a QUIT pipelined
        just before the client closed.  Record them: the client sent them."""
        if self._drained or getattr(self, "_reader", None) is None:
            return
        self._drained = True
        for line in bytes(self._reader._buffer).splitlines(keepends=True):
            self._record(line, self._consume(len(line)))

    def eof_received(self):
        self._record_unread()
        return super().eof_received()

    async def smtp_AUTH(self, arg):
        self.rec.tls_at_auth.append(self._is_tls())
        self._phase = "auth"
        try:
            await super().smtp_AUTH(arg)
        finally:
            self._phase = "command"

    async def smtp_STARTTLS(self, arg):
        r = self.srv.replies.get("STARTTLS")
        if r:
            return await self.push(r)
        return await super().smtp_STARTTLS(arg)

    def _split_params(self, keyword, arg):
        """(the parameters as sent, keyword + address) of a MAIL/RCPT
        argument, or (None, arg) when aiosmtpd will refuse it anyway."""
        stripped = self._strip_command_keyword(keyword, arg or "")
        if stripped is None:
            return None, arg
        address, rest = self._getaddr(stripped)
        if not address or not stripped.endswith(rest):
            return None, arg
        return rest.split(), keyword + stripped[:len(stripped) - len(rest)]

    async def _with_params(self, keyword, arg, dsn_names, base):
        """Record the parameters; take the DSN ones out of aiosmtpd's way
        (it refuses every parameter it does not know)."""
        raw, head = self._split_params(keyword, arg)
        self.raw_params = list(raw or [])
        if raw is None:
            return await base(arg)
        dsn = [p for p in raw if p.split("=", 1)[0].upper() in dsn_names]
        if dsn and not self.srv.dsn:
            return await self.push(
                "555 5.5.4 %s parameter not recognized" % dsn[0])
        return await base(" ".join([head] + [p for p in raw
                                             if p not in dsn]))

    async def smtp_MAIL(self, arg):
        return await self._with_params("FROM:", arg, DSN_MAIL,
                                       super().smtp_MAIL)

    async def smtp_RCPT(self, arg):
        return await self._with_params("TO:", arg, DSN_RCPT,
                                       super().smtp_RCPT)

    async def smtp_BDAT(self, arg):
        """RFC 3030 2: BDAT n [LAST], then exactly n octets, which are
        read (and dropped) even when the command is refused."""
        if not self.srv.chunking:
            return await self.push('500 Error: command "BDAT" not '
                                   'recognized')
        words = (arg or "").split()
        if (not 1 <= len(words) <= 2 or not words[0].isdigit()
                or (len(words) == 2 and words[1].upper() != "LAST")):
            return await self.push("501 5.5.4 Syntax: BDAT n [LAST]")
        n, last = int(words[0]), len(words) == 2
        data = await self._reader.readexactly(n) if n else b""
        self._consume(n)
        self.rec.bdat.append(bytes(data))
        if await self.check_auth_needed("BDAT"):
            return
        if not self.envelope.rcpt_tos:
            return await self.push("503 5.5.1 Error: need RCPT command")
        r = self.srv.replies.get("BDAT")
        if r:
            self._chunks = b""
            self._set_rset_state()
            return await self.push(r)
        self._chunks += data
        if not last:
            return await self.push("250 2.0.0 %d octets received" % n)
        self.event_handler.deliver(self, self.envelope, self._chunks)
        self._chunks = b""
        self._set_post_data_state()
        return await self.push("250 2.0.0 OK: %d octets" % n)

    async def smtp_DATA(self, arg):
        self._phase = "data"
        try:
            await super().smtp_DATA(arg)
        finally:
            self._phase = "command"


class SMTPServer:
    def __init__(self, certs=None, mode="smtps", user="joe",
                 password="secret", auth_mechanisms=("PLAIN", "LOGIN"),
                 cert="server", replies=None, advertise_auth_in_clear=True,
                 hostname="mx.test", dsn=False, smtputf8=True,
                 eightbitmime=True, pipelining=False, chunking=False,
                 bad_server_proof=False, iterations=4096,
                 oauth_error=OAUTH_ERROR):
        if mode not in MODES:
            raise ValueError(mode)
        if mode != "plain-no-starttls" and certs is None:
            raise ValueError("TLS modes need certs")
        self.mode = mode
        self.user = user.encode() if isinstance(user, str) else user
        self.password = (password.encode() if isinstance(password, str)
                         else password)
        self.replies = dict(replies or {})
        self.dsn = dsn
        self.eightbitmime = eightbitmime
        self.pipelining = pipelining
        self.chunking = chunking
        self.auth_mechanisms = tuple(auth_mechanisms)
        self.bad_server_proof = bad_server_proof
        self.iterations = iterations
        self.oauth_error = oauth_error
        self.sessions: List[Session] = []
        self.messages: List[Message] = []
        self.errors: List[BaseException] = []
        self.connections = 0          # TCP connections accepted
        self._open = 0
        self._cond = threading.Condition()
        self._protocols = set()
        ctx = certs.server_context(cert) if certs is not None else None
        exclude = [m for m in MECHANISMS if m not in auth_mechanisms]
        self._smtp_kw = dict(
            hostname=hostname, ident="stamptest ESMTP",
            enable_SMTPUTF8=smtputf8, auth_required=True,
            auth_exclude_mechanism=exclude,
            authenticator=self._authenticate, timeout=30)
        self._ssl = None
        if mode == "smtps":
            self._ssl = ctx
            self._smtp_kw["auth_require_tls"] = True
        elif mode == "starttls":
            self._smtp_kw.update(tls_context=ctx, require_starttls=True,
                                 auth_require_tls=True)
        else:
            self._smtp_kw["auth_require_tls"] = not advertise_auth_in_clear
        self.port = None
        self.loop = None
        self._thread = None

    # -- the authenticator: one user, PLAIN and LOGIN --------------------
    def _authenticate(self, server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and data.login == self.user
              and data.password == self.password)
        return AuthResult(success=ok, handled=False,
                          auth_data=data if ok else None)

    # -- bookkeeping, called on the loop thread --------------------------
    def _factory(self):
        with self._cond:
            self.connections += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "AUTH without TLS" in bait mode
            return _RecordingSMTP(self, loop=self.loop, **self._smtp_kw)

    def _opened(self, proto):
        with self._cond:
            self._open += 1
            self._protocols.add(proto)
            self.sessions.append(proto.rec)

    def _closed(self, proto):
        with self._cond:
            if proto in self._protocols:
                self._protocols.discard(proto)
                self._open -= 1
                proto.rec.closed = True
                self._cond.notify_all()

    # -- life cycle -------------------------------------------------------
    def start(self):
        ready = threading.Event()
        err = []
        self.loop = asyncio.new_event_loop()

        def run():
            asyncio.set_event_loop(self.loop)
            try:
                self._server = self.loop.run_until_complete(
                    self.loop.create_server(self._factory, host=HOST, port=0,
                                            ssl=self._ssl))
                self.port = self._server.sockets[0].getsockname()[1]
            except Exception as e:       # pragma: no cover
                err.append(e)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self._shutdown()

        self._thread = threading.Thread(target=run, daemon=True,
                                         name="smtpd-%s" % self.mode)
        self._thread.start()
        if not ready.wait(10) or err:
            raise RuntimeError("SMTP server did not start: %r" % err)
        return self

    def _shutdown(self):
        loop = self.loop
        self._server.close()
        for p in list(self._protocols):
            if p.transport is not None:
                p.transport.close()
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            loop.run_until_complete(
                asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(self._server.wait_closed())
        loop.close()

    def stop(self):
        if self._thread is None:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- inspection -------------------------------------------------------
    def settle(self, timeout=5.0):
        """Wait until every connection that reached SMTP has closed (so that
        pipelined commands such as QUIT have been read).  True if so."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._open > 0:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    @property
    def commands(self):
        """All client command lines, all sessions, in order (raw bytes)."""
        return [c for s in self.sessions for c in s.commands]

    def verbs(self):
        """The command words, upper case: ["EHLO", "AUTH", "MAIL", ...]."""
        return [c.split(None, 1)[0].upper().decode("ascii", "replace")
                if c.strip() else "" for c in self.commands]

    def batch_of(self):
        """[(verb, replies sent when it arrived)] over all sessions."""
        return [(c.split(None, 1)[0].upper().decode("ascii", "replace")
                 if c.strip() else "", b)
                for s in self.sessions for c, b in zip(s.commands,
                                                        s.batches)]

    def reused(self):
        """[session_reused] of every session that reached TLS, in order."""
        return [s.session_reused for s in self.sessions
                if s.session_reused is not None]

    def auth_commands(self):
        return [c for c in self.commands if c[:4].upper() == b"AUTH"]

    def auth_mechanisms_used(self):
        return [c.split()[1].upper().decode() for c in self.auth_commands()
                if len(c.split()) > 1]
