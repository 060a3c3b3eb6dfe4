#!/usr/bin/python3
"""stamp vs msmtp benchmark (issue 5).  Run through bench/run; see README.md.

Subcommands (each a separate process, so that the SMTP server, the delay
proxy and the clients do not share one GIL):
  server MODE CERTDIR [MAXVERSION]
                           stamptest.smtpd on 127.0.0.1 (mode smtps|starttls;
                           MAXVERSION e.g. TLSv1_2 caps the server's TLS)
  sink CERTDIR             a TLS sink: reads a 16-digit length, then that many
                           bytes, answers "OK" (the raw-TLS physical limit)
  smtpsink CERTDIR BYTES   a minimal SMTPS receiver: AUTH PLAIN, BDAT/DATA
                           read in large blocks and counted; a message that
                           is not BYTES long gets 554
  proxy TARGETPORT DELAYMS TCP proxy adding DELAYMS one way, each direction
  rawclient PORT CA FILE   sends FILE's bytes over TLS to the sink
  main [--quick]           the whole benchmark; prints the report
Each server prints its listening port on stdout, then serves until killed.
"""
import asyncio
import base64
import collections
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
HOST = "127.0.0.1"
USER, PASSWORD = "joe", "bench-Pa55"
FROM, RCPT = "joe@example.org", "bob@example.org"


# --------------------------------------------------------------- servers
def cmd_server(mode, certdir, max_version=None):
    import inspect
    from stamptest import smtpd
    # Bench-only tweaks to the test server: do not record every DATA line
    # (a 100 MB message would be kept twice), advertise PIPELINING (aiosmtpd
    # reads pipelined commands correctly but does not say so), and turn on
    # PIPELINING/CHUNKING options if the harness has grown them.
    orig_record = smtpd._RecordingSMTP._record

    def _record(self, line, *a, **kw):
        if getattr(self, "_phase", None) == "data":
            if line == b".\r\n":
                self._phase = "command"
            return None
        return orig_record(self, line, *a, **kw)
    smtpd._RecordingSMTP._record = _record
    orig = smtpd._Handler.handle_EHLO

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
        responses = await orig(self, smtp, session, envelope, hostname,
                               responses)
        if not any(r[4:].upper() == "PIPELINING" for r in responses):
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses
    smtpd._Handler.handle_EHLO = handle_EHLO
    kw = {}
    params = inspect.signature(smtpd.SMTPServer.__init__).parameters
    for opt in ("pipelining", "chunking"):
        if opt in params:
            kw[opt] = True
    c = _certs(certdir)
    if max_version:                      # e.g. TLSv1_2: a TLS 1.2-only server
        c = c.with_server(max_version=max_version)
    srv = smtpd.SMTPServer(c, mode=mode, user=USER,
                           password=PASSWORD, **kw)
    srv._smtp_kw["data_size_limit"] = 256 << 20   # aiosmtpd: 32 MiB
    srv.start()
    print(json.dumps({"port": srv.port, "options": sorted(kw)}), flush=True)
    while True:                      # keep memory flat over 100 MB messages
        time.sleep(0.5)
        srv.messages.clear()
        srv.sessions.clear()


def _certs(d):
    from stamptest import certs
    j = lambda n: os.path.join(d, n)  # noqa: E731
    return certs.Certs(d, j("ca.pem"), j("server.pem"), j("server.key"),
                       j("untrusted.pem"), j("untrusted.key"),
                       j("wrongname.pem"), j("wrongname.key"))


def serve_tls(ctx, handle):
    """Serve handle over TLS on a free port of HOST, forever; the port goes
    to stdout as JSON for the parent (Bg)."""
    async def main():
        s = await asyncio.start_server(handle, HOST, 0, ssl=ctx)
        print(json.dumps({"port": s.sockets[0].getsockname()[1]}),
              flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())


def cmd_sink(certdir):
    ctx = _certs(certdir).server_context()

    async def handle(reader, writer):
        try:
            n = int(await reader.readexactly(16))
            while n > 0:
                b = await reader.read(min(n, 1 << 20))
                if not b:
                    break
                n -= len(b)
            writer.write(b"OK")
            await writer.drain()
        finally:
            writer.close()

    serve_tls(ctx, handle)


class _FastSMTP:
    """One SMTPS session of cmd_smtpsink: commands are read as lines, but a
    message body (BDAT n, or DATA up to the final dot) is read in large
    blocks and only counted, never split into lines."""
    BLOCK = 1 << 20

    def __init__(self, reader, writer, expect):
        self.r, self.w, self.expect = reader, writer, expect
        self.buf = bytearray()
        self.chunks = 0                  # bytes of BDAT chunks so far

    async def fill(self):
        b = await self.r.read(self.BLOCK)
        if not b:
            raise ConnectionError("client closed the connection")
        self.buf += b

    async def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                s = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return s
            if len(self.buf) > 4096:
                raise ConnectionError("command line too long")
            await self.fill()

    def reply(self, text):
        self.w.write(text.encode() + b"\r\n")

    def done(self, n):
        """The end of a message of n bytes: 250 if n is what was sent."""
        if n == self.expect:
            self.reply("250 2.0.0 %d octets, as expected" % n)
        else:
            self.reply("554 5.6.0 got %d octets, expected %d" % (n,
                                                                 self.expect))

    async def bdat(self, n):
        take = min(n, len(self.buf))
        del self.buf[:take]
        left = n - take
        while left > 0:
            b = await self.r.read(min(left, self.BLOCK))
            if not b:
                raise ConnectionError("client closed the connection in BDAT")
            left -= len(b)
        return n

    async def data(self):
        """Count the bytes up to CRLF.CRLF, less one per dot-stuffed line;
        what follows the final dot stays in self.buf (pipelined QUIT)."""
        carry, base, dots = b"\r\n", 0, 0  # base: stream offset of s[0]
        while True:
            if not self.buf:
                await self.fill()
            s = carry + bytes(self.buf)
            self.buf.clear()
            i = s.find(b"\r\n.\r\n")
            lo = max(0, len(carry) - 3)  # "\r\n.." wholly in carry: counted
            dots += s.count(b"\r\n..", lo, len(s) if i < 0 else i + 4)
            if i >= 0:
                self.buf += s[i + 5:]
                return base + i - dots
            carry = s[-4:]
            base += len(s) - len(carry)

    async def session(self):
        self.reply("220 sink.example ESMTP bench sink")
        while True:
            await self.w.drain()
            cmd = await self.line()
            verb = cmd[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250-sink.example\r\n250-PIPELINING\r\n"
                           "250-CHUNKING\r\n250-8BITMIME\r\n"
                           "250-SIZE 268435456\r\n250 AUTH PLAIN")
            elif verb == b"AUTH":
                a = cmd.split()
                if len(a) < 3:
                    self.reply("334 ")
                    await self.w.drain()
                    a.append(await self.line())
                ok = ("\0%s\0%s" % (USER, PASSWORD)).encode()
                if a[1].upper() == b"PLAIN" and \
                        base64.b64decode(a[2]) == ok:
                    self.reply("235 2.7.0 authenticated")
                else:
                    self.reply("535 5.7.8 authentication failed")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.chunks = 0 if verb in (b"MAIL", b"RSET") else self.chunks
                self.reply("250 2.0.0 ok")
            elif verb == b"BDAT":
                a = cmd.split()
                self.chunks += await self.bdat(int(a[1]))
                if len(a) > 2 and a[2].upper() == b"LAST":
                    self.done(self.chunks)
                    self.chunks = 0
                else:
                    self.reply("250 2.0.0 chunk")
            elif verb == b"DATA":
                self.reply("354 go ahead")
                await self.w.drain()
                self.done(await self.data())
            elif verb == b"QUIT":
                self.reply("221 2.0.0 bye")
                await self.w.drain()
                return
            else:
                self.reply("502 5.5.1 not here")


def cmd_smtpsink(certdir, expect):
    """A minimal SMTPS receiver for measurement 4: it checks AUTH PLAIN and
    that each message has `expect` bytes (wire form), and does nothing else;
    an SMTP server that costs next to nothing, like the raw TLS sink."""
    ctx = _certs(certdir).server_context()

    async def handle(reader, writer):
        try:
            await _FastSMTP(reader, writer, int(expect)).session()
        except (ConnectionError, OSError, ValueError, IndexError):
            pass
        finally:
            writer.close()

    serve_tls(ctx, handle)


def cmd_rawclient(port, ca, path):
    ctx = ssl.create_default_context(cafile=ca)
    size = os.path.getsize(path)
    with socket.create_connection((HOST, int(port))) as raw, \
            ctx.wrap_socket(raw, server_hostname=HOST) as s, \
            open(path, "rb") as f:
        s.sendall(b"%016d" % size)
        while True:
            b = f.read(1 << 18)
            if not b:
                break
            s.sendall(b)
        if s.recv(2) != b"OK":
            sys.exit(1)


def cmd_proxy(target, delay_ms):
    """Every byte is delivered delay_ms after it was read, in both
    directions.  The TCP handshake is emulated too: the client's connect()
    returns at once (the kernel accepts), so its first bytes count as sent
    one round trip later (t0 + 2d, delivered t0 + 3d) and the server's side
    is connected at t0 + 3d, when the handshake's ACK would arrive."""
    target, d = int(target), float(delay_ms) / 1000.0

    async def pump(reader, queue, clamp):
        loop = asyncio.get_running_loop()
        try:
            while True:
                b = await reader.read(1 << 18)
                now = loop.time()
                queue.put_nowait((max(now, clamp) + d, b))
                if not b:
                    return
        except (ConnectionError, OSError):
            queue.put_nowait((0, b""))

    async def deliver(queue, writer_fut):
        loop = asyncio.get_running_loop()
        writer = await writer_fut
        try:
            while True:
                due, b = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not b:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(b)
                await writer.drain()
        except (ConnectionError, OSError):
            pass

    async def handle(creader, cwriter):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        up = loop.create_future()
        q_up, q_down = asyncio.Queue(), asyncio.Queue()
        tasks = [asyncio.ensure_future(pump(creader, q_up, t0 + 2 * d)),
                 asyncio.ensure_future(deliver(q_up, up))]
        await asyncio.sleep(3 * d)
        try:
            sreader, swriter = await asyncio.open_connection(HOST, target)
        except OSError:
            cwriter.close()
            return
        up.set_result(swriter)
        done = loop.create_future()
        done.set_result(cwriter)
        tasks += [asyncio.ensure_future(pump(sreader, q_down, 0)),
                  asyncio.ensure_future(deliver(q_down, done))]
        await asyncio.gather(*tasks, return_exceptions=True)
        swriter.close()
        cwriter.close()

    async def main():
        s = await asyncio.start_server(handle, HOST, 0)
        print(json.dumps({"port": s.sockets[0].getsockname()[1]}),
              flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())


# --------------------------------------------------------------- harness
class Bg:
    """A subcommand in the background; .info is the JSON it printed."""
    def __init__(self, *args):
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__)]
                                  + [str(a) for a in args],
                                  stdout=subprocess.PIPE)
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("%s did not start" % (args,))
        self.info = json.loads(line)
        self.port = self.info["port"]

    def stop(self):
        self.p.kill()
        self.p.wait()


RUSAGE = os.environ.get("BENCH_RUSAGE") or "/tmp/build-bench/rusage"


def run_timed(cmd, stdin_path, env):
    """(wall seconds, cpu seconds user+sys, peak RSS KiB, status), measured
    by the rusage helper (rusage.c: fork + wait4 in a small C process; a
    child forked from Python would count Python's RSS in ru_maxrss)."""
    r, w = os.pipe()
    with open(stdin_path, "rb") as fin, tempfile.TemporaryFile() as errf:
        p = subprocess.Popen([RUSAGE, str(w)] + cmd, stdin=fin,
                             stdout=subprocess.DEVNULL, stderr=errf, env=env,
                             pass_fds=(w,))
        os.close(w)
        with os.fdopen(r) as f:
            line = f.read().split()
        p.wait()
        if p.returncode != 0 or len(line) != 5 or line[4] != "0":
            errf.seek(0)
            raise RuntimeError("%s exited %s: %s" % (
                cmd[0], line[4] if len(line) == 5 else "?",
                errf.read().decode(errors="replace")))
    return (float(line[0]), float(line[1]) + float(line[2]), int(line[3]),
            0)


class Clients:
    """Config files for stamp and msmtp, per (mode, port)."""
    def __init__(self, tmp, stamp, ca):
        self.tmp, self.stamp, self.ca = tmp, stamp, ca
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": tmp,
                    "LANG": "C.UTF-8", "TZ": "UTC"}

    def _write(self, name, text):
        path = os.path.join(self.tmp, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def cmd(self, client, mode, port):
        """client: "stamp" (defaults: TLS session resumption on, its cache
        in $HOME/.cache), "stamp-noresume" (tls_resume = off) or "msmtp"."""
        if client in ("stamp", "stamp-noresume"):
            cfg = self._write("%s-%s-%d.ini" % (client, mode, port), (
                "[bench]\nhost = %s\nport = %d\ntls = %s\nauth = plain\n"
                "user = %s\npassword = %s\nfrom = %s\ntls_trust_file = %s\n"
                "domain = client.example\n%s")
                % (HOST, port, mode, USER, PASSWORD, FROM, self.ca,
                   "tls_resume = off\n" if client == "stamp-noresume"
                   else ""))
            return [self.stamp, "-C", cfg, "-a", "bench", RCPT]
        cfg = self._write("msmtp-%s-%d.rc" % (mode, port), (
            "account bench\nhost %s\nport %d\ntls on\ntls_starttls %s\n"
            "tls_trust_file %s\nauth plain\nuser %s\npassword %s\n"
            "from %s\ndomain client.example\n")
            % (HOST, port, "on" if mode == "starttls" else "off", self.ca,
               USER, PASSWORD, FROM))
        return ["msmtp", "-C", cfg, "-a", "bench", RCPT]

    def run(self, client, mode, port, msg):
        return run_timed(self.cmd(client, mode, port), msg, self.env)


def proc_cpu(pid):
    """User+sys CPU seconds a process has used so far (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_message(path, size):
    """About size bytes: headers, then 76-character text lines (LF)."""
    hdr = ("From: %s\nTo: %s\nSubject: bench %d bytes\n"
           "Date: Sun, 22 Nov 2026 08:00:00 +0000\n"
           "Message-ID: <bench-%d@example.org>\n\n"
           % (FROM, RCPT, size, size)).encode()
    line = (b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
            b"XYZ-the-quick-fox\n")[:77]
    with open(path, "wb") as f:
        f.write(hdr)
        left = max(size - len(hdr), 77)
        block = line * 13617                     # ~1 MiB
        while left >= len(block):
            f.write(block)
            left -= len(block)
        f.write(line * (left // 77 or 1))
    return path


def crlf_copy(src, dst):
    with open(src, "rb") as i, open(dst, "wb") as o:
        o.write(i.read().replace(b"\n", b"\r\n"))
    return dst


def med(xs):
    return statistics.median(xs)


def fmt_range(xs, scale=1.0):
    def f(x):
        return "%.0f" % x if abs(x) >= 100 else "%.3g" % x
    return "%s (%s–%s)" % (f(med(xs) * scale), f(min(xs) * scale),
                           f(max(xs) * scale))


def cmd_main(argv):
    quick = "--quick" in argv
    stamp = os.environ.get("STAMP") or "/tmp/build-bench/stamp"
    tmp = tempfile.mkdtemp(prefix="stamp-bench-")
    certdir = os.path.join(tmp, "certs")
    os.mkdir(certdir)
    from stamptest import certs
    certs.make_certs(certdir)
    ca = os.path.join(certdir, "ca.pem")
    cl = Clients(tmp, stamp, ca)
    R = collections.OrderedDict()            # everything, for the report
    bg = []
    CLIENTS = ("stamp", "msmtp")
    SEQ_CLIENTS = ("stamp", "stamp-noresume", "msmtp")
    # One-way delays, ms.  The slope is taken from D1 to D2, both at or
    # above 20 ms: below that, a client that leaves Nagle on (msmtp) loses
    # ~40 ms per stall to delayed ACKs at 0 ms, which a 40 ms round trip
    # hides, and the slope from 0 would undercount its round trips.
    D0, D1, D2 = 0, 20, 40
    reps_rt = 3 if quick else 7
    try:
        servers = {m: Bg("server", m, certdir) for m in ("smtps", "starttls")}
        bg += servers.values()
        R["server_options"] = servers["smtps"].info["options"]
        proxies = {(m, d): Bg("proxy", servers[m].port, d)
                   for m in servers for d in (D0, D1, D2)}
        bg += proxies.values()
        m1k = make_message(os.path.join(tmp, "m1k"), 1024)
        for c in CLIENTS:                    # warm up caches, check it works
            for m in servers:
                cl.run(c, m, servers[m].port, m1k)

        # 1. round trips from the slope of wall time against the delay
        rt = {}
        for m in servers:
            for c in CLIENTS:
                t = {}
                for d in (D0, D1, D2):
                    t[d] = [cl.run(c, m, proxies[(m, d)].port, m1k)[0]
                            for _ in range(reps_rt)]
                k = 2 * (D2 - D1) / 1000.0
                rt[(m, c)] = dict(
                    med=(med(t[D2]) - med(t[D1])) / k,
                    lo=(min(t[D2]) - max(t[D1])) / k,
                    hi=(max(t[D2]) - min(t[D1])) / k,
                    t0=med(t[D0]), t1=med(t[D1]), t2=med(t[D2]),
                    slope0=(med(t[D1]) - med(t[D0])) / (2 * (D1 - D0) / 1e3))
                print("rt %s %s %.2f" % (m, c, rt[(m, c)]["med"]),
                      file=sys.stderr, flush=True)
        R["rt"] = rt

        # 5. TLS session resumption against a TLS 1.2-only server: the
        # abbreviated handshake's round trip, by the same slope method
        rt12 = {}
        for m in ("smtps", "starttls"):
            srv12 = Bg("server", m, certdir, "TLSv1_2")
            bg.append(srv12)
            px = {d: Bg("proxy", srv12.port, d) for d in (D1, D2)}
            bg.extend(px.values())
            for c in SEQ_CLIENTS:
                cl.run(c, m, srv12.port, m1k)      # a session to resume
                t = {d: [cl.run(c, m, px[d].port, m1k)[0]
                         for _ in range(reps_rt)] for d in (D1, D2)}
                k = 2 * (D2 - D1) / 1000.0
                rt12[(m, c)] = dict(med=(med(t[D2]) - med(t[D1])) / k,
                                    lo=(min(t[D2]) - max(t[D1])) / k,
                                    hi=(max(t[D2]) - min(t[D1])) / k,
                                    t1=med(t[D1]))
                print("rt tls1.2 %s %s %.2f" % (m, c, rt12[(m, c)]["med"]),
                      file=sys.stderr, flush=True)
        R["rt12"] = rt12

        # 2. CPU and peak RSS, direct to the server (no proxy), SMTPS
        sizes = [("1 KB", 1024, 5 if quick else 15),
                 ("10 MB", 10 * 10**6, 3 if quick else 5),
                 ("100 MB", 100 * 10**6, 1 if quick else 3)]
        res = {}
        for label, size, n in sizes:
            msg = make_message(os.path.join(tmp, "m%d" % size), size)
            for c in CLIENTS:
                runs = [cl.run(c, "smtps", servers["smtps"].port, msg)
                        for _ in range(n)]
                res[(label, c)] = dict(n=n, wall=[r[0] for r in runs],
                                       cpu=[r[1] for r in runs],
                                       rss=[r[2] for r in runs])
                print("cpu %s %s wall %.3f cpu %.3f rss %d" % (
                    label, c, med(res[(label, c)]["wall"]),
                    med(res[(label, c)]["cpu"]), med(res[(label, c)]["rss"])),
                    file=sys.stderr, flush=True)
            if size != 100 * 10**6:
                os.unlink(msg)
        R["res"] = res

        # 4. raw TLS stream of the same (CRLF) bytes, same loopback path
        big = os.path.join(tmp, "m%d" % (100 * 10**6))
        wire = crlf_copy(big, os.path.join(tmp, "wire"))
        # and stamp and msmtp into an SMTPS server as cheap as that sink
        # (bench.py smtpsink), so that the receiver is not the limit; the
        # receiver's CPU from /proc around each run
        sink = Bg("sink", certdir)
        fast = Bg("smtpsink", certdir, os.path.getsize(wire))
        bg += [sink, fast]
        nraw = 1 if quick else 3

        def timed(fn, srv):
            s0 = proc_cpu(srv.p.pid)
            r = fn()
            return r[0], r[1], proc_cpu(srv.p.pid) - s0
        raw = [timed(lambda: run_timed(
                   [sys.executable, os.path.abspath(__file__), "rawclient",
                    str(sink.port), ca, wire], wire, cl.env), sink)
               for _ in range(nraw)]
        R["raw"] = dict(wall=[r[0] for r in raw], cpu=[r[1] for r in raw],
                        rcpu=[r[2] for r in raw],
                        bytes=os.path.getsize(wire))
        print("raw wall %.3f cpu %.3f" % (med(R["raw"]["wall"]),
                                          med(R["raw"]["cpu"])),
              file=sys.stderr, flush=True)
        R["fast"] = {}
        for c in CLIENTS:
            runs = [timed(lambda: cl.run(c, "smtps", fast.port, big), fast)
                    for _ in range(nraw)]
            R["fast"][c] = dict(wall=[r[0] for r in runs],
                                cpu=[r[1] for r in runs],
                                rcpu=[r[2] for r in runs])
            print("smtpsink %s wall %.3f cpu %.3f" % (
                c, med(R["fast"][c]["wall"]), med(R["fast"][c]["cpu"])),
                file=sys.stderr, flush=True)
        os.unlink(wire)
        os.unlink(big)

        # 3. messages per second: 200 sequential sends, one process each;
        # stamp with TLS session resumption (the default) and without; the
        # client's CPU (rusage) and the server process's (/proc) per message
        nseq, passes = (50, 1) if quick else (200, 3)
        rate, ccpu, scpu = {}, {}, {}
        for m in servers:
            for c in SEQ_CLIENTS:
                cl.run(c, m, servers[m].port, m1k)   # a session to resume
                rate[(m, c)], ccpu[(m, c)], scpu[(m, c)] = [], [], []
                for _ in range(passes):
                    s0 = proc_cpu(servers[m].p.pid)
                    t = time.perf_counter()
                    cpu = sum(cl.run(c, m, servers[m].port, m1k)[1]
                              for _ in range(nseq))
                    rate[(m, c)].append(nseq / (time.perf_counter() - t))
                    ccpu[(m, c)].append(cpu / nseq)
                    scpu[(m, c)].append((proc_cpu(servers[m].p.pid) - s0)
                                        / nseq)
                print("rate %s %s %.1f/s cpu %.2f ms server %.2f ms" % (
                    m, c, med(rate[(m, c)]), med(ccpu[(m, c)]) * 1e3,
                    med(scpu[(m, c)]) * 1e3), file=sys.stderr, flush=True)
        R["rate"], R["nseq"], R["passes"] = rate, nseq, passes
        R["ccpu"], R["scpu"] = ccpu, scpu
        R["reps_rt"], R["sizes"] = reps_rt, sizes
        R["delays"] = (D0, D1, D2)
    finally:
        for b in bg:
            b.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(R))


def report(R):
    out = []
    w = out.append
    st = R["rt"]
    D0, D1, D2 = R["delays"]
    w("### 1. Round trips per 1 KB message\n")
    w("Slope of the median wall time between one-way delays of %d and %d ms "
      "(%d runs per point; the range pairs the extreme runs).  The last "
      "column is the slope from %d to %d ms, for comparison.\n"
      % (D1, D2, R["reps_rt"], D0, D1))
    w("| mode | protocol minimum (DATA / BDAT LAST) | stamp | msmtp | "
      "stamp/msmtp | slope %d→%d ms: stamp, msmtp |" % (D0, D1))
    w("|---|---|---|---|---|---|")
    mins = {"smtps": "6 / 5", "starttls": "8 / 7"}
    for m in ("smtps", "starttls"):
        s, ms = st[(m, "stamp")], st[(m, "msmtp")]
        w("| %s | %s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.2f | "
          "%.2f, %.2f |" % (
              m, mins[m], s["med"], s["lo"], s["hi"], ms["med"], ms["lo"],
              ms["hi"], s["med"] / ms["med"], s["slope0"], ms["slope0"]))
    w("\nMedian wall time per message (ms) at one-way delay %d / %d / %d ms:"
      "\n" % (D0, D1, D2))
    w("| mode | stamp | msmtp | stamp/msmtp at %d ms |" % D0)
    w("|---|---|---|---|")
    for m in ("smtps", "starttls"):
        s, ms = st[(m, "stamp")], st[(m, "msmtp")]
        w("| %s | %.1f / %.0f / %.0f | %.1f / %.0f / %.0f | %.2f |" % (
            m, s["t0"] * 1e3, s["t1"] * 1e3, s["t2"] * 1e3,
            ms["t0"] * 1e3, ms["t1"] * 1e3, ms["t2"] * 1e3,
            s["t0"] / ms["t0"]))
    w("\n### 2. CPU (user+sys) and peak RSS, SMTPS, no added delay\n")
    w("| message | runs | stamp CPU ms | msmtp CPU ms | ratio | stamp RSS "
      "MiB | msmtp RSS MiB | ratio | stamp wall s | msmtp wall s |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for label, _, n in R["sizes"]:
        a, b = R["res"][(label, "stamp")], R["res"][(label, "msmtp")]
        w("| %s | %d | %s | %s | %.2f | %s | %s | %.2f | %s | %s |" % (
            label, n, fmt_range(a["cpu"], 1e3), fmt_range(b["cpu"], 1e3),
            med(a["cpu"]) / med(b["cpu"]),
            fmt_range(a["rss"], 1 / 1024), fmt_range(b["rss"], 1 / 1024),
            med(a["rss"]) / med(b["rss"]),
            fmt_range(a["wall"]), fmt_range(b["wall"])))
    w("\n### 3. Messages per second, %d sequential 1 KB sends, a process "
      "each, no added delay (median of %d passes, range)\n"
      % (R["nseq"], R["passes"]))
    w("stamp resumes TLS sessions from its cache (the default, "
      "`tls_resume = auto`) or not (`tls_resume = off`); msmtp never "
      "does. CPU per message: the client's user+sys (rusage), and the "
      "server process's over the pass (/proc, 10 ms ticks), divided by "
      "the number of messages.\n")
    w("| mode | client | messages/s | × msmtp | client CPU ms/message | "
      "server CPU ms/message |")
    w("|---|---|---|---|---|---|")
    names = {"stamp": "stamp", "stamp-noresume": "stamp, tls_resume = off",
             "msmtp": "msmtp"}
    for m in ("smtps", "starttls"):
        base = med(R["rate"][(m, "msmtp")])
        for c in ("stamp", "stamp-noresume", "msmtp"):
            w("| %s | %s | %s | %.2f | %s | %s |" % (
                m, names[c], fmt_range(R["rate"][(m, c)]),
                med(R["rate"][(m, c)]) / base,
                fmt_range(R["ccpu"][(m, c)], 1e3),
                fmt_range(R["scpu"][(m, c)], 1e3)))
    raw = R["raw"]
    a, b = R["res"][("100 MB", "stamp")], R["res"][("100 MB", "msmtp")]
    w("\n### 4. 100 MB: SMTP submission against a raw TLS stream of the same "
      "%d bytes (CRLF form), loopback\n" % raw["bytes"])
    w("The raw stream: a Python `ssl` client (256 KiB `sendall`s) into a TLS "
      "sink that only counts. `bench.py smtpsink`: an SMTPS server with the "
      "same TLS setup that answers EHLO, AUTH PLAIN, MAIL and RCPT, reads "
      "`BDAT n LAST` as n bytes (or DATA up to the final dot) in 1 MiB reads "
      "and checks the count; stamptest.smtpd is aiosmtpd (rows from 2). "
      "Sender CPU: the client's user+sys (rusage; the raw sender's includes "
      "Python's start-up); receiver CPU: the server process's (/proc, 10 ms "
      "ticks), not measured for aiosmtpd.\n")
    w("| sender → receiver | runs | wall s | MB/s | × raw wall | "
      "sender CPU s | × raw CPU | receiver CPU s |")
    w("|---|---|---|---|---|---|---|---|")
    rows = [("raw TLS (Python ssl) → TLS sink", raw),
            ("stamp → smtpsink", R["fast"]["stamp"]),
            ("msmtp → smtpsink", R["fast"]["msmtp"]),
            ("stamp → stamptest.smtpd", a),
            ("msmtp → stamptest.smtpd", b)]
    for name, x in rows:
        w("| %s | %d | %s | %.0f | %.2f | %s | %.2f | %s |" % (
            name, len(x["wall"]), fmt_range(x["wall"]),
            raw["bytes"] / med(x["wall"]) / 1e6,
            med(x["wall"]) / med(raw["wall"]), fmt_range(x["cpu"]),
            med(x["cpu"]) / med(raw["cpu"]),
            fmt_range(x["rcpu"]) if "rcpu" in x else "—"))
    w("\n### 5. TLS session resumption against a TLS 1.2-only server: "
      "round trips per 1 KB message\n")
    w("Same slope method as in 1 (%d and %d ms one way, %d runs per point). "
      "An abbreviated TLS 1.2 handshake lets the client send its Finished "
      "with the first command, which saves a round trip when the client "
      "speaks first after the handshake (STARTTLS: EHLO), not when the "
      "server does (SMTPS: the greeting). With TLS 1.3 (sections 1–3) "
      "resumption saves no round trip.\n" % (D1, D2, R["reps_rt"]))
    w("| mode | stamp | stamp, tls_resume = off | msmtp | wall at %d ms: "
      "stamp, off, msmtp |" % D1)
    w("|---|---|---|---|---|")
    for m in ("smtps", "starttls"):
        r = [R["rt12"][(m, c)] for c in ("stamp", "stamp-noresume",
                                          "msmtp")]
        w("| %s | %s | %s | %s | %.0f, %.0f, %.0f ms |" % tuple(
            [m] + ["%.2f (%.2f–%.2f)" % (x["med"], x["lo"], x["hi"])
                   for x in r] + [x["t1"] * 1e3 for x in r]))
    w("\nServer options turned on: %s." % (
        ", ".join(R["server_options"]) or
        "none available (PIPELINING advertised by bench.py itself)"))
    return "\n".join(out)


if __name__ == "__main__":
    sub, args = sys.argv[1], sys.argv[2:]
    if sub == "main":
        cmd_main(args)
    else:
        {"server": cmd_server, "sink": cmd_sink, "proxy": cmd_proxy,
         "rawclient": cmd_rawclient, "smtpsink": cmd_smtpsink}[sub](*args)
