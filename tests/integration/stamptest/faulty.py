"""A scripted, misbehaving SMTP server on 127.0.0.1 for fault injection.

Plain threads and sockets (one thread per connection), real TLS with the
harness's certificates: "smtps" (implicit TLS) or "starttls".  A script
maps each stage to what the server does there instead of its normal reply:

  greeting   on connect (after the handshake in smtps mode)
  ehlo       the first EHLO          ehlo2   the EHLO after STARTTLS
  starttls   STARTTLS                auth    AUTH (the whole exchange)
  mail       MAIL                    rcpt    each RCPT
  data       DATA                    body    in the middle of the data
  dot        after the final dot, before replying
  quit       QUIT

A script value is an action, or a callable taking the command's argument
(e.g. the RCPT address) and returning an action or None (normal reply):

  "450 4.2.0 busy"     this reply ("\\r\\n" inside for several lines)
  DROP / RESET         close at once, with a FIN / with an RST
  HANG                 say nothing, read nothing, until settle() or stop()
                       (then read what the client sent, to EOF)
  Raw(b"...", close)   these bytes exactly (see the malformed replies
                       below), then close when close=True
  Trickle(b"...", s)   these bytes one at a time, s seconds apart, then HANG
  StartTLSWith(b"x")   "220 ready" and these bytes in one write, then the
                       TLS handshake as usual (RFC 3207 section 6 injection)

"body" acts once the first line of data has arrived: a reply is sent and
the connection closed (a server giving up mid-message); HANG stops
reading, so that the client's writes block.

malformed(kind, code) builds the flawed replies of MALFORMED around a
stage's normal code: bad_code ("2x0 ok"), no_crlf_eof ("250 ok", then
close), long_line (100 KB), many_lines (5000 continuation lines),
mixed_codes ("250-a" then "251 b"), nul (a NUL inside the text).
Faulty(..., starttls=False, auth_in_clear=True) is a man in the middle
that strips STARTTLS and offers AUTH in clear as bait.

A server "delivers" a message only when it replied 250 to the end of data:
srv.delivered lists those.  Recorded per connection (Session): every
command line with its CRLF and whether TLS was up, the raw (dot-stuffed)
data, whether the client sent the end of data (dot).

    srv = Faulty(certs, "starttls", {"rcpt": "550 5.1.1 unknown"}).start()
    ... run stamp against srv.port ...
    srv.settle(); srv.verbs(), srv.delivered, srv.dot_sent(); srv.stop()
"""
import base64
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import List

HOST = "127.0.0.1"
STAGES = ("greeting", "ehlo", "starttls", "ehlo2", "auth", "mail", "rcpt",
          "data", "body", "dot", "quit")
# The code each stage answers with when all goes well.
NORMAL_CODE = {"greeting": 220, "ehlo": 250, "starttls": 220, "ehlo2": 250,
               "auth": 235, "mail": 250, "rcpt": 250, "data": 354,
               "dot": 250, "quit": 221}
POLL = 0.1                       # how often blocked threads look at stop


class Drop:
    def __init__(self, reset=False):
        self.reset = reset

    def __repr__(self):
        return "RESET" if self.reset else "DROP"


class Hang:
    def __repr__(self):
        return "HANG"


class Raw:
    """Bytes sent exactly as given.  code: the reply the server then
    behaves as if it had sent (None: a refusal)."""

    def __init__(self, data, close=False, code=None):
        self.data, self.close, self.code = data, close, code

    def __repr__(self):
        d = self.data if len(self.data) < 40 else self.data[:30] + b"..."
        return "Raw(%r%s)" % (d, ", close" if self.close else "")


class Trickle:
    """These bytes one at a time, interval seconds apart (a reply that
    never quite stalls), then HANG."""

    def __init__(self, data, interval=0.1):
        self.data, self.interval = data, interval


class StartTLSWith:
    def __init__(self, extra):
        self.extra = extra


DROP = Drop()
RESET = Drop(reset=True)
HANG = Hang()


def malformed(kind, code):
    """A malformed reply of the given kind, built around the stage's
    normal code (so that only the flaw is wrong)."""
    c = b"%d" % code
    return {
        "bad_code": Raw(b"2x0 ok\r\n"),
        "no_crlf_eof": Raw(c + b" ok", close=True),
        "long_line": Raw(c + b" " + b"x" * 100000 + b"\r\n"),
        "many_lines": Raw((c + b"-x\r\n") * 5000 + c + b" ok\r\n"),
        "mixed_codes": Raw(c + b"-a\r\n" + b"%d b\r\n" % (code + 1)),
        # a NUL in the text is replaced, not refused (DESIGN.md 4)
        "nul": Raw(c + b" o\0k\r\n", code=code),
    }[kind]


MALFORMED = ("bad_code", "no_crlf_eof", "long_line", "many_lines",
             "mixed_codes", "nul")


class _Gone(Exception):
    """The client left, or the server is stopping."""


@dataclass
class Session:
    commands: List[bytes] = field(default_factory=list)
    tls_at: List[bool] = field(default_factory=list)
    auth_responses: List[bytes] = field(default_factory=list)
    data: bytes = b""
    dot: bool = False              # the client sent the end of data
    tls: bool = False
    closed: bool = False


@dataclass
class Delivery:
    mail_from: str
    rcpts: List[str]
    content: bytes                 # dot-unstuffed, CRLF line ends
    session: Session


class _Conn:
    """One client: buffered lines over a socket that may become TLS."""

    def __init__(self, srv, sock, rec):
        self.srv, self.sock, self.rec = srv, sock, rec
        self.buf = b""

    def _recv(self):
        while True:
            if self.srv._stopping.is_set():
                raise _Gone()
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                raise _Gone()
            if not b:
                raise _Gone()
            return b

    def readline(self):
        while b"\n" not in self.buf:
            self.buf += self._recv()
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def send(self, data):
        self.sock.settimeout(5)          # the whole sendall, not per chunk
        try:
            self.sock.sendall(data)
        except OSError:
            raise _Gone()
        finally:
            try:
                self.sock.settimeout(POLL)
            except OSError:
                pass

    def reply(self, text):
        self.send(text.encode("utf-8", "surrogateescape") + b"\r\n")

    def start_tls(self):
        self.sock.settimeout(10)
        try:
            self.sock = self.srv.ctx.wrap_socket(self.sock, server_side=True)
        except OSError:                  # includes ssl.SSLError
            raise _Gone()
        self.sock.settimeout(POLL)
        self.rec.tls = True

    def close(self, reset=False):
        try:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass


class Faulty:
    def __init__(self, certs=None, mode="smtps", script=None,
                 user="joe", password="secret", starttls=True,
                 auth_in_clear=False, extensions=("8BITMIME",)):
        if mode not in ("smtps", "starttls"):
            raise ValueError(mode)
        unknown = set(script or {}) - set(STAGES)
        if unknown:
            raise ValueError("unknown stages %r" % sorted(unknown))
        self.mode = mode
        self.script = dict(script or {})
        self.user, self.password = user, password
        self.offer_starttls = starttls      # False: a stripping MITM
        self.auth_in_clear = auth_in_clear  # the bait such a MITM offers
        self.extensions = list(extensions)
        self.ctx = certs.server_context() if certs is not None else None
        self.sessions: List[Session] = []
        self.delivered: List[Delivery] = []
        self.errors: List[BaseException] = []
        self.connections = 0
        self.port = None
        self._stopping = threading.Event()
        self._release = threading.Event()
        self._threads = []
        self._lock = threading.Lock()
        self._lsock = None

    # -- life cycle -------------------------------------------------------
    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Small buffers: a server that stops reading (HANG in "body")
        # stalls the client after a few megabytes, not tens.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((HOST, 0))
        s.listen(8)
        s.settimeout(POLL)
        self._lsock = s
        self.port = s.getsockname()[1]
        t = threading.Thread(target=self._accept, daemon=True,
                             name="faulty-accept")
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stopping.set()
        self._release.set()
        for t in list(self._threads):
            t.join(10)
        if self._lsock is not None:
            self._lsock.close()
            self._lsock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def settle(self, timeout=5.0):
        """End every HANG (reading what the client sent until it closes),
        then wait until every connection has closed.  True if so."""
        self._release.set()
        end = time.monotonic() + timeout
        for t in list(self._threads[1:]):
            t.join(max(0.0, end - time.monotonic()))
        return all(s.closed for s in self.sessions)

    def _accept(self):
        while not self._stopping.is_set():
            try:
                sock, _ = self._lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(POLL)
            rec = Session()
            with self._lock:
                self.connections += 1
                self.sessions.append(rec)
            t = threading.Thread(target=self._session, args=(sock, rec),
                                 daemon=True, name="faulty-session")
            self._threads.append(t)
            t.start()

    # -- inspection -------------------------------------------------------
    @property
    def commands(self):
        return [c for s in self.sessions for c in s.commands]

    def verbs(self):
        return [c.split(None, 1)[0].upper().decode("ascii", "replace")
                if c.strip() else "" for c in self.commands]

    def clear_verbs(self):
        """The command words received before TLS was up."""
        return [c.split(None, 1)[0].upper().decode("ascii", "replace")
                for s in self.sessions
                for c, tls in zip(s.commands, s.tls_at) if not tls and
                c.strip()]

    def dot_sent(self):
        return any(s.dot for s in self.sessions)

    # -- one connection ---------------------------------------------------
    def _session(self, sock, rec):
        c = _Conn(self, sock, rec)
        try:
            if self.mode == "smtps":
                c.start_tls()
            if self._act(c, "greeting", None, "220 faulty.test ESMTP"):
                self._commands(c)
        except _Gone:
            pass
        except Exception as e:           # pragma: no cover - a harness bug
            self.errors.append(e)
        finally:
            c.close()
            rec.closed = True

    def _action(self, stage, arg):
        a = self.script.get(stage)
        if callable(a):
            a = a(arg)
        return a

    def _act(self, c, stage, arg, normal):
        """Do what the script says at stage (or send normal).  Returns the
        code the server behaves as having sent, or 0 when it closed."""
        a = self._action(stage, arg)
        if a is None:
            a = normal
        if isinstance(a, str):
            c.reply(a)
            return int(a[:3]) if a[:3].isdigit() else -1
        if isinstance(a, Drop):
            c.close(a.reset)
            return 0
        if isinstance(a, Hang):
            self._hang(c)
            return 0
        if isinstance(a, Raw):
            c.send(a.data)
            if a.close:
                c.close()
                return 0
            return a.code if a.code is not None else -1
        if isinstance(a, Trickle):
            for b in a.data:
                if self._release.wait(a.interval):
                    break
                c.send(bytes([b]))
            self._hang(c)
            return 0
        if isinstance(a, StartTLSWith):
            c.send(b"220 2.0.0 ready\r\n" + a.extra)
            return 220
        raise ValueError("bad action %r at %s" % (a, stage))

    def _hang(self, c):
        """Neither read nor answer until released; then record what the
        client sent until it closes."""
        while not self._release.wait(POLL):
            pass
        try:
            while True:
                line = c.readline()
                if c.rec.dot or not c.rec.data:
                    self._record(c, line)
                else:                    # in the middle of the data
                    c.rec.data += line
                    c.rec.dot = line == b".\r\n"
        except _Gone:
            pass

    def _record(self, c, line):
        c.rec.commands.append(line)
        c.rec.tls_at.append(c.rec.tls)

    def _commands(self, c):
        st = {"ehlos": 0, "from": None, "rcpts": []}
        while True:
            line = c.readline()
            self._record(c, line)
            verb, _, arg = line.rstrip(b"\r\n").partition(b" ")
            verb = verb.upper().decode("ascii", "replace")
            arg = arg.decode("utf-8", "replace")
            handler = getattr(self, "_cmd_" + verb, None)
            if handler is None:
                c.reply("500 5.5.2 unknown command")
            elif not handler(c, arg, st):
                return

    def _ehlo_lines(self, tls):
        lines = ["faulty.test"]
        if not tls:
            if self.offer_starttls:
                lines.append("STARTTLS")
            if self.auth_in_clear:
                lines.append("AUTH PLAIN LOGIN")
        else:
            lines.append("AUTH PLAIN LOGIN")
        lines += self.extensions
        return "\r\n".join("250%s%s" % ("-" if i < len(lines) - 1 else " ",
                                        l) for i, l in enumerate(lines))

    def _cmd_EHLO(self, c, arg, st):
        st["ehlos"] += 1
        stage = "ehlo2" if c.rec.tls and self.mode == "starttls" else "ehlo"
        return self._act(c, stage, arg, self._ehlo_lines(c.rec.tls)) != 0

    def _cmd_STARTTLS(self, c, arg, st):
        code = self._act(c, "starttls", arg, "220 2.0.0 ready")
        if code == 220:
            c.start_tls()
        return code != 0

    def _cmd_AUTH(self, c, arg, st):
        a = self._action("auth", arg)
        if a is not None:
            return self._act(c, "auth", arg, None) != 0
        mech, _, initial = arg.partition(" ")
        mech = mech.upper()
        if mech == "PLAIN":
            resp = initial or self._challenge(c, "")
            try:
                _, user, pw = base64.b64decode(resp).split(b"\0")
            except ValueError:
                user = pw = b""
        elif mech == "LOGIN":
            user = base64.b64decode(self._challenge(c, "VXNlcm5hbWU6"))
            pw = base64.b64decode(self._challenge(c, "UGFzc3dvcmQ6"))
        else:
            c.reply("504 5.5.4 unrecognized authentication type")
            return True
        if (user.decode(errors="replace"), pw.decode(errors="replace")) == (
                self.user, self.password):
            c.reply("235 2.7.0 authentication successful")
        else:
            c.reply("535 5.7.8 authentication credentials invalid")
        return True

    def _challenge(self, c, text):
        c.reply("334 " + text)
        line = c.readline()
        c.rec.auth_responses.append(line)
        return line.strip()

    def _cmd_MAIL(self, c, arg, st):
        code = self._act(c, "mail", arg, "250 2.1.0 ok")
        if code == 250:
            st["from"], st["rcpts"] = _address(arg), []
        return code != 0

    def _cmd_RCPT(self, c, arg, st):
        addr = _address(arg)
        code = self._act(c, "rcpt", addr, "250 2.1.5 ok")
        if code in (250, 251):
            st["rcpts"].append(addr)
        return code != 0

    def _cmd_DATA(self, c, arg, st):
        code = self._act(c, "data", arg, "354 end with <CRLF>.<CRLF>")
        if code != 354:
            return code != 0
        lines = []
        while True:
            line = c.readline()
            c.rec.data += line
            if line == b".\r\n":
                c.rec.dot = True
                break
            lines.append(line[1:] if line.startswith(b".") else line)
            if len(lines) == 1 and self._action("body", None) is not None:
                self._act(c, "body", None, None)
                return False
        code = self._act(c, "dot", None, "250 2.0.0 queued as FAULTY")
        if code == 250 and st["from"] is not None and st["rcpts"]:
            self.delivered.append(Delivery(st["from"], list(st["rcpts"]),
                                           b"".join(lines), c.rec))
        st["from"], st["rcpts"] = None, []
        return code != 0

    def _cmd_RSET(self, c, arg, st):
        st["from"], st["rcpts"] = None, []
        c.reply("250 2.0.0 ok")
        return True

    def _cmd_NOOP(self, c, arg, st):
        c.reply("250 2.0.0 ok")
        return True

    def _cmd_QUIT(self, c, arg, st):
        if self._act(c, "quit", arg, "221 2.0.0 bye") != 0:
            c.close()
        return False


def _address(arg):
    """"FROM:<a@b> SIZE=1" -> "a@b"."""
    s = arg.split(":", 1)[-1].strip()
    if s.startswith("<"):
        s = s[1:s.find(">")] if ">" in s else s[1:]
    return s.split(" ", 1)[0]
