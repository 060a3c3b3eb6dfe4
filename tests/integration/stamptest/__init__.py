"""stamptest - the integration harness for stamp.

Shared by tests/integration (through conftest.py) and scripts/demo.py:

  certs     a throwaway CA, a server certificate it signed, and certificates
            that must be refused (self-signed; signed but for another name)
  smtpd     an aiosmtpd server in a background thread that records what the
            client sent (command lines, TLS state at AUTH, message bytes)
  keyring   a throwaway Secret Service (private dbus-daemon + gnome-keyring)
  syslog    run a command with /dev/log pointing at a socket we read
  run       run $STAMP, write config files, parse the log line

Only 127.0.0.1 is ever used.
"""
