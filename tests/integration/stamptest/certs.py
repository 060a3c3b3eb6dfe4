"""A test PKI made with the openssl CLI (EC P-256: fast).

  ca.pem                 the CA stamp is told to trust (tls_trust_file)
  server.pem/.key        CN=localhost, SAN DNS:localhost, IP:127.0.0.1, by the CA
  untrusted.pem/.key     the same names, self-signed (must be refused)
  wrongname.pem/.key     signed by the CA, but only for DNS:other.example
"""
import os
import ssl
import subprocess
from dataclasses import dataclass

SAN = "subjectAltName=DNS:localhost,IP:127.0.0.1"
LEAF_EXT = ("basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n")


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

    def pair(self, which):
        """(cert, key) for "server", "untrusted" or "wrongname"."""
        return getattr(self, which + "_pem"), getattr(self, which + "_key")

    def server_context(self, which="server"):
        """A server-side SSLContext presenting the chosen certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.pair(which))
        return ctx


def _openssl(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, timeout=30,
                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)


def _newkey(name):
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", name]


def _signed_leaf(d, name, san):
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write(LEAF_EXT + san + "\n")
    _openssl(["req", "-new"] + _newkey(name + ".key") +
             ["-subj", "/CN=localhost", "-out", name + ".csr"], d)
    _openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
              "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
              "-sha256", "-extfile", ext, "-out", name + ".pem"], d)


def make_certs(d):
    """Create everything in directory d (which must exist)."""
    d = os.path.abspath(d)
    _openssl(["req", "-x509", "-new"] + _newkey("ca.key") +
             ["-days", "2", "-sha256", "-subj", "/CN=stamp test CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign",
              "-out", "ca.pem"], d)
    _signed_leaf(d, "server", SAN)
    _signed_leaf(d, "wrongname", "subjectAltName=DNS:other.example")
    _openssl(["req", "-x509", "-new"] + _newkey("untrusted.key") +
             ["-days", "2", "-sha256", "-subj", "/CN=localhost",
              "-addext", SAN, "-out", "untrusted.pem"], d)
    j = lambda n: os.path.join(d, n)  # noqa: E731
    return Certs(d, j("ca.pem"), j("server.pem"), j("server.key"),
                 j("untrusted.pem"), j("untrusted.key"),
                 j("wrongname.pem"), j("wrongname.key"))
