"""Fixtures for the stamp integration suite.  Run with
STAMP=/abs/path/build/stamp /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
"""
import socket

import pytest

from stamptest import faulty as F
from stamptest import run as R
from stamptest.certs import make_certs
from stamptest.fixtures import env, home, stamp  # noqa: F401 (fixtures)
from stamptest.keyring import Keyring
from stamptest.smtpd import SMTPServer
from stamptest.syslog import syslog_available


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def make_server(certs):
    """make_server(mode="smtps", server_certs=certs, **kw) -> a started
    SMTPServer, stopped at teardown."""
    started = []

    def make(mode="smtps", server_certs=None, **kw):
        kw.setdefault("password", R.PASSWORD)
        kw.setdefault("user", R.USER)
        srv = SMTPServer(server_certs or certs, mode=mode, **kw).start()
        started.append(srv)
        return srv
    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def make_faulty(certs, config_for):
    """make_faulty(mode="smtps", script=None, timeout=T, **kw) -> (a
    started Faulty, a config for it with that timeout), stopped at
    teardown.  The modules that use it fix T (functools.partial)."""
    started = []

    def make(mode="smtps", script=None, *, timeout, **kw):
        kw.setdefault("password", R.PASSWORD)
        srv = F.Faulty(certs, mode, script, **kw).start()
        started.append(srv)
        return srv, config_for(srv, timeout=timeout)
    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def tls_server(certs, make_server):
    """tls_server(mode, cert="server", **server_opts) -> a started
    SMTPServer whose TLS context has certs.with_server(**server_opts)."""
    def make(mode="smtps", cert="server", **opts):
        return make_server(mode, cert=cert, server_certs=(
            certs.with_server(**opts) if opts else certs))
    return make


@pytest.fixture
def smtps(make_server):
    return make_server("smtps")


@pytest.fixture
def starttls(make_server):
    return make_server("starttls")


@pytest.fixture
def write_config(tmp_path):
    """write_config(sections, name="stamp.ini", mode=0o600) -> path."""
    def write(sections, name="stamp.ini", mode=0o600):
        return R.write_config(tmp_path / name, sections, mode)[0]
    return write


@pytest.fixture
def config_for(write_config, certs):
    """config_for(server, **overrides) -> path of a 0600 config whose
    default account points at server (see stamptest.run.account)."""
    def make(server, name="stamp.ini", **over):
        return write_config(R.account(server, certs, **over), name=name)
    return make


@pytest.fixture
def run(stamp, env):
    """run(args, input_bytes, config_path=None, env=None, timeout=30)."""
    def go(args, input_bytes=b"", config_path=None, env=env, **kw):
        return R.run_stamp(args, input_bytes, config_path, env, stamp=stamp,
                           **kw)
    return go


@pytest.fixture(scope="session")
def _syslog_ok():
    ok, why = syslog_available()
    if not ok:
        pytest.skip("cannot capture syslog here (needs root and unshare): "
                    + why)


@pytest.fixture
def run_syslog(stamp, env, _syslog_ok):
    """Like run, inside a mount namespace whose /dev/log we read; returns
    SyslogRun(returncode, stdout, stderr, syslog) with .pid."""
    def go(args, input_bytes=b"", config_path=None, env=env, **kw):
        return R.run_stamp_syslog(args, input_bytes, config_path, env,
                                  stamp=stamp, **kw)
    return go


@pytest.fixture(scope="session")
def keyring(tmp_path_factory):
    kr = Keyring(tmp_path_factory.mktemp("keyring"))
    kr.start()
    yield kr
    kr.stop()


@pytest.fixture
def closed_port():
    """A 127.0.0.1 port that nothing listens on (bound, then closed)."""
    return R.free_port()


@pytest.fixture
def silent_port():
    """A 127.0.0.1 port that completes the TCP handshake (listen backlog)
    but never says or reads anything."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s.getsockname()[1]
    s.close()
