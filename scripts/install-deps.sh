#!/bin/sh
# Install the Debian packages that stamp needs to build, to run its tests
# (clang and libclang-rt-14-dev, which holds libFuzzer, for make fuzz;
# postfix, dovecot-core, mutt, cron, git, git-email and Mail::Address
# (libmailtools-perl, which git send-email needs) for make
# check-interop) and to run the demo.  Does nothing when they are all
# there already; installs what is missing with apt-get when run as root.
# libcurl4-openssl-dev and libjson-c-dev: the headers of the libraries that
# OAuth2 loads with dlopen (src/oauth2_http.c); binutils' readelf checks
# that stamp is not linked with them (tests/integration/test_oauth2.py).
# strace: the queue tests (tests/integration/test_queue.py) kill stamp
# with SIGKILL at every system call of enqueue and flush, using strace's
# fault injection (-e inject=SYSCALL:signal=KILL:when=N).
# With arguments, those packages instead (make deb/rpm/check-package pass
# dpkg-dev debhelper fakeroot lintian rpm).
set -eu

PKGS="build-essential pkg-config libssl-dev libsecret-1-dev libinih-dev
libcurl4-openssl-dev libjson-c-dev binutils
libcmocka-dev python3 python3-pytest python3-aiosmtpd gnome-keyring
libsecret-tools dbus-daemon dbus-bin mandoc openssl util-linux iproute2
ca-certificates clang libclang-rt-14-dev strace
postfix dovecot-core mutt cron git git-email libmailtools-perl"
[ $# -gt 0 ] && PKGS="$*"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "stamp needs these Debian packages:$missing" >&2
	echo "install them as root: apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Postfix's postinst asks what to set up: nothing.  tests/interop runs it
# with a private configuration; /etc/postfix stays without a main.cf and
# no daemon is started.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
# Other apt runs may hold the lock for a while.
apt="apt-get -o DPkg::Lock::Timeout=600"
$apt update -qq
# shellcheck disable=SC2086
$apt install -y -qq --no-install-recommends $missing
