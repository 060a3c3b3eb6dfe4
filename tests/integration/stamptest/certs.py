"""A test PKI made with the openssl CLI (EC P-256: fast).

  ca.pem                 the CA stamp is told to trust (tls_trust_file)
  server.pem/.key        CN=localhost, SAN DNS:localhost, IP:127.0.0.1, by the CA
  untrusted.pem/.key     the same names, self-signed (must be refused)
  wrongname.pem/.key     signed by the CA, but only for DNS:other.example
  expired.pem/.key       signed by the CA, the right names, valid only from
                         2020-01-01 to 2020-01-02 (made with "openssl ca",
                         which can date a certificate in the past)
  client-ca.pem          a second CA, for client certificates only
  client.pem/.key        CN=joe, extendedKeyUsage=clientAuth, by client-ca
  rogueclient.pem/.key   CN=joe, clientAuth, self-signed (must be refused
                         by a server that trusts client-ca)

A server that wants a client certificate, or speaks only some TLS versions:

    srv_certs = certs.with_server(client_ca=True, max_version="TLSv1_2")
    SMTPServer(srv_certs, ...)    # its server_context() applies them
"""
import dataclasses
import hashlib
import os
import ssl
import subprocess
from dataclasses import dataclass, field

SAN = "subjectAltName=DNS:localhost,IP:127.0.0.1"
LEAF_EXT = ("basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n")
CLIENT_EXT = ("basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=clientAuth\n")
# "openssl ca" needs a database; this is the least it accepts.
CA_CNF = """[ca]
default_ca = testca
[testca]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
commonName = supplied
"""
EXPIRED = ("20200101000000Z", "20200102000000Z")


@dataclass
class Certs:
    dir: str
    ca_pem: str
    server_pem: str
    server_key: str
    untrusted_pem: str
    untrusted_key: str
    wrongname_pem: str
    wrongname_key: str
    expired_pem: str = None
    expired_key: str = None
    client_ca_pem: str = None
    client_pem: str = None
    client_key: str = None
    rogueclient_pem: str = None
    rogueclient_key: str = None
    # server_context() options, see with_server()
    server_opts: dict = field(default_factory=dict)

    def pair(self, which):
        """(cert, key) for "server", "untrusted", "wrongname", "expired",
        "client" or "rogueclient"."""
        return getattr(self, which + "_pem"), getattr(self, which + "_key")

    def fingerprint(self, which="server"):
        """SHA-256 of the certificate (DER), 64 lower-case hex digits: what
        tls_fingerprint takes."""
        with open(getattr(self, which + "_pem")) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        return hashlib.sha256(der).hexdigest()

    def with_server(self, client_ca=False, min_version=None,
                    max_version=None):
        """A copy whose server_context() requires a client certificate from
        client-ca (client_ca=True) and/or limits the TLS versions
        ("TLSv1_2", "TLSv1_3")."""
        return dataclasses.replace(self, server_opts=dict(
            client_ca=client_ca, min_version=min_version,
            max_version=max_version))

    def server_context(self, which="server"):
        """A server-side SSLContext presenting the chosen certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.pair(which))
        o = self.server_opts
        if o.get("client_ca"):
            ctx.load_verify_locations(self.client_ca_pem)
            ctx.verify_mode = ssl.CERT_REQUIRED
        if o.get("min_version"):
            ctx.minimum_version = getattr(ssl.TLSVersion, o["min_version"])
        if o.get("max_version"):
            ctx.maximum_version = getattr(ssl.TLSVersion, o["max_version"])
        return ctx


def _openssl(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, timeout=30,
                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)


def _newkey(name):
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", name]


def _self_signed_ca(d, name, cn):
    _openssl(["req", "-x509", "-new"] + _newkey(name + ".key") +
             ["-days", "2", "-sha256", "-subj", "/CN=" + cn,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign",
              "-out", name + ".pem"], d)


def _csr(d, name, cn, ext_text):
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write(ext_text)
    _openssl(["req", "-new"] + _newkey(name + ".key") +
             ["-subj", "/CN=" + cn, "-out", name + ".csr"], d)
    return ext


def _signed_leaf(d, name, san, ca="ca", cn="localhost", ext=LEAF_EXT):
    extfile = _csr(d, name, cn, ext + san + "\n")
    _openssl(["x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
              "-CAkey", ca + ".key", "-CAcreateserial", "-days", "2",
              "-sha256", "-extfile", extfile, "-out", name + ".pem"], d)


def _dated_leaf(d, name, san, start, end):
    """Signed by ca, valid from start to end (YYYYMMDDHHMMSSZ)."""
    extfile = _csr(d, name, "localhost", LEAF_EXT + san + "\n")
    os.makedirs(os.path.join(d, "ca-db"), exist_ok=True)
    open(os.path.join(d, "ca-db", "index.txt"), "w").close()
    with open(os.path.join(d, "ca-db", "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(CA_CNF)
    _openssl(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem",
              "-keyfile", "ca.key", "-in", name + ".csr", "-notext",
              "-startdate", start, "-enddate", end, "-extfile", extfile,
              "-out", name + ".pem"], d)


def make_certs(d):
    """Create everything in directory d (which must exist)."""
    d = os.path.abspath(d)
    _self_signed_ca(d, "ca", "stamp test CA")
    _signed_leaf(d, "server", SAN)
    _signed_leaf(d, "wrongname", "subjectAltName=DNS:other.example")
    _openssl(["req", "-x509", "-new"] + _newkey("untrusted.key") +
             ["-days", "2", "-sha256", "-subj", "/CN=localhost",
              "-addext", SAN, "-out", "untrusted.pem"], d)
    _dated_leaf(d, "expired", SAN, *EXPIRED)
    _self_signed_ca(d, "client-ca", "stamp test client CA")
    _signed_leaf(d, "client", "", ca="client-ca", cn="joe", ext=CLIENT_EXT)
    _openssl(["req", "-x509", "-new"] + _newkey("rogueclient.key") +
             ["-days", "2", "-sha256", "-subj", "/CN=joe",
              "-addext", "extendedKeyUsage=clientAuth",
              "-out", "rogueclient.pem"], d)
    j = lambda n: os.path.join(d, n)  # noqa: E731
    return Certs(d, j("ca.pem"), j("server.pem"), j("server.key"),
                 j("untrusted.pem"), j("untrusted.key"),
                 j("wrongname.pem"), j("wrongname.key"),
                 expired_pem=j("expired.pem"), expired_key=j("expired.key"),
                 client_ca_pem=j("client-ca.pem"),
                 client_pem=j("client.pem"), client_key=j("client.key"),
                 rogueclient_pem=j("rogueclient.pem"),
                 rogueclient_key=j("rogueclient.key"))
