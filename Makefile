# stamp - the only build entry point.
#   make            build build/stamp
#   make check      unit tests (cmocka) + integration tests (pytest)
#   make check-interop  against real Postfix + Dovecot, mutt, cron and
#                   git send-email (root; tests/interop)
#   make asan       the whole check again under ASan + UBSan (build-asan/)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (build-fuzz/)
#   make install    honours PREFIX and DESTDIR (install-units: the systemd units)
#   make deb / rpm  Debian and RPM packages, built under build/pkg
#   make check-package  builds the .deb, installs it here, sends as cron does

VERSION	 = 0.1.0
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/stamp
SYSTEMDSYSTEMUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSTEMDUSERUNITDIR   ?= $(PREFIX)/lib/systemd/user
# Packages are built from a copy of the tree here, never in the tree itself.
PKGDIR	?= build/pkg
BUILD	?= build
PYTHON	?= /usr/bin/python3
# The pytest files or directories to run: make integration PYTESTS=tests/integration/test_send.py
PYTESTS	?= tests/integration
PKG_CONFIG ?= pkg-config

PKGS	 = openssl libsecret-1 inih
# Not linked with libsecret (nor GLib): keyring.c dlopen()s it when the
# Secret Service is asked; its headers still type-check every call.
LINK_PKGS = openssl inih
# Loaded with dlopen when OAuth2 is used (src/oauth2_http.c): headers only.
DLPKGS	 = libcurl json-c
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wformat=2 -Wcast-qual -Wvla
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(DLPKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(LINK_PKGS)) -ldl
ALL_CPPFLAGS = -std=c11 -D_GNU_SOURCE -DSTAMP_VERSION='"$(VERSION)"' \
	   -Isrc $(PKG_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(WARN) -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(CFLAGS)
ALL_LDFLAGS = -Wl,-z,relro,-z,now $(LDFLAGS)

SRCS	:= $(wildcard src/*.c)
OBJS	:= $(SRCS:src/%.c=$(BUILD)/%.o)
LIBOBJS	:= $(filter-out $(BUILD)/main.o,$(OBJS))
TESTS	:= $(patsubst tests/unit/%.c,$(BUILD)/%,$(wildcard tests/unit/test_*.c))

all: $(BUILD)/stamp

$(BUILD)/stamp: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/test_%: tests/unit/test_%.c $(LIBOBJS) $(wildcard tests/unit/*.h) | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ \
	    $< $(LIBOBJS) $(PKG_LIBS) -lcmocka

$(BUILD):
	mkdir -p $(BUILD)

unit: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

integration: $(BUILD)/stamp
	STAMP=$(abspath $(BUILD)/stamp) $(PYTHON) -m pytest -q -p no:cacheprovider \
	    $(PYTESTS) $(PYTEST_ARGS)

check: deps all unit integration lint-man

# Real software (tests/interop): Postfix + Dovecot started per run on
# 127.0.0.1, mutt, cron and git send-email sending through build/stamp.
# As root; -rxX lists the tests that wait for another branch's feature.
INTEROP_TESTS ?= tests/interop
check-interop: deps $(BUILD)/stamp
	STAMP=$(abspath $(BUILD)/stamp) $(PYTHON) -m pytest -q -rxX \
	    -p no:cacheprovider $(INTEROP_TESTS) $(PYTEST_ARGS)

# Installs missing Debian packages (as root), else says which are missing.
deps:
	@sh scripts/install-deps.sh

lint-man:
	mandoc -Tlint -W warning man/stamp.1 man/stamp.ini.5

# The whole suite again with AddressSanitizer and UndefinedBehaviorSanitizer.
# GLib keeps process-lifetime allocations; tests/asan.supp names them.
asan:
	$(MAKE) BUILD=build-asan \
	    CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' \
	    ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	    LSAN_OPTIONS=suppressions=$(abspath tests/asan.supp):print_suppressions=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    unit integration

# libFuzzer targets, tests/fuzz/fuzz_*.c: clang builds the src objects
# (all but main.o) and the targets with ASan + UBSan into build-fuzz/,
# then tests/fuzz/run.sh runs each for FUZZ_SECONDS (0: the seed corpora
# only), FUZZ_JOBS at a time.  New inputs go to build-fuzz/corpus/, never
# to the seeds; any crash, leak, UB, timeout or failed check fails.
# make fuzz FUZZ_TARGETS='fuzz_hdr fuzz_addr' runs only those.  No
# _FORTIFY_SOURCE here: ASan must see the calls that it would wrap.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 20
FUZZ_JOBS	?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_ARGS	?=
FUZZ_SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_ALL	:= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS	?= $(FUZZ_ALL)

fuzz: fuzz-build
	FUZZ_ARGS='$(FUZZ_ARGS)' sh tests/fuzz/run.sh build-fuzz \
	    '$(FUZZ_SECONDS)' '$(FUZZ_JOBS)' $(FUZZ_TARGETS)

fuzz-build: deps
	$(MAKE) BUILD=build-fuzz CC='$(FUZZ_CC)' \
	    CFLAGS='-O1 -g -U_FORTIFY_SOURCE $(FUZZ_SAN) -fsanitize=fuzzer-no-link' \
	    LDFLAGS='$(FUZZ_SAN) -fsanitize=fuzzer' \
	    $(FUZZ_TARGETS:%=build-fuzz/%)

# fuzz_smtp is its own conn.c (a scripted server): all objects but conn.o.
FUZZ_LINK = $(if $(filter fuzz_smtp,$(@F)),$(filter-out $(BUILD)/conn.o,\
	    $(LIBOBJS)),$(LIBOBJS))

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/unit/lines.h $(LIBOBJS) | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) -Itests/fuzz $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ \
	    $< $(FUZZ_LINK) $(PKG_LIBS)

demo: $(BUILD)/stamp
	$(PYTHON) scripts/demo.py $(abspath $(BUILD)/stamp)

install: $(BUILD)/stamp
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/stamp $(DESTDIR)$(BINDIR)/stamp
	install -m 0644 man/stamp.1 $(DESTDIR)$(MANDIR)/man1/stamp.1
	install -m 0644 man/stamp.ini.5 $(DESTDIR)$(MANDIR)/man5/stamp.ini.5
	install -m 0644 etc/stamp.ini $(DESTDIR)$(DOCDIR)/stamp.ini.example

# The queue's systemd units (packaging/systemd), pointed at BINDIR.
UNITS	 = stamp-queue.service stamp-queue.timer
install-units:
	install -d $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR) $(DESTDIR)$(SYSTEMDUSERUNITDIR)
	for u in $(UNITS); do \
	    sed 's,/usr/sbin/stamp,$(BINDIR)/stamp,' packaging/systemd/$$u \
	        > $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/$$u && \
	    sed 's,/usr/sbin/stamp,$(BINDIR)/stamp,' packaging/systemd/user/$$u \
	        > $(DESTDIR)$(SYSTEMDUSERUNITDIR)/$$u && \
	    chmod 0644 $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/$$u \
	        $(DESTDIR)$(SYSTEMDUSERUNITDIR)/$$u || exit 1; \
	done

# dpkg-dev, debhelper, lintian, rpm: installed when missing (as root).
pkg-deps:
	@sh scripts/install-deps.sh dpkg-dev debhelper fakeroot lintian rpm

# A copy of the tree (without build output or .git) as $(PKGDIR)/src/stamp-VERSION.
pkg-tree: pkg-deps
	rm -rf $(PKGDIR)/src
	mkdir -p $(PKGDIR)/src/stamp-$(VERSION)
	tar -cf - --exclude=./.git --exclude='./build*' --exclude=__pycache__ . | \
	    tar -xf - -C $(PKGDIR)/src/stamp-$(VERSION)

# Debian packages: packaging/debian becomes debian/ in the copy; the .debs,
# .buildinfo and .changes land in $(PKGDIR)/src; lintian must be silent.
deb: pkg-tree
	cp -R packaging/debian $(PKGDIR)/src/stamp-$(VERSION)/debian
	cd $(PKGDIR)/src/stamp-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(PKGDIR)/src/stamp_$(VERSION)_*.changes

# RPM: the spec's BuildRequires name Fedora packages, which Debian's rpm
# cannot resolve, hence --nodeps.  RPMS land in $(PKGDIR)/rpm/RPMS.
rpm: pkg-tree
	mkdir -p $(PKGDIR)/rpm/SOURCES
	tar -czf $(PKGDIR)/rpm/SOURCES/stamp-$(VERSION).tar.gz \
	    -C $(PKGDIR)/src stamp-$(VERSION)
	rpmbuild -bb --nodeps --define '_topdir $(abspath $(PKGDIR)/rpm)' \
	    --define 'stamp_version $(VERSION)' packaging/rpm/stamp.spec

# Builds the .deb, installs stamp and stamp-mta on this machine (root),
# sends through /usr/sbin/sendmail as cron does, purges (tests/package).
# stamp-mta replaces any other MTA, which the test installs again after the
# purge; STAMP_PKG_ROOT=overlay installs into a throwaway copy of / instead.
check-package: deb
	STAMP_PKGDIR=$(abspath $(PKGDIR)/src) $(PYTHON) -m pytest -q \
	    -p no:cacheprovider tests/package $(PYTEST_ARGS)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/stamp $(DESTDIR)$(MANDIR)/man1/stamp.1 \
	    $(DESTDIR)$(MANDIR)/man5/stamp.ini.5 \
	    $(DESTDIR)$(DOCDIR)/stamp.ini.example \
	    $(UNITS:%=$(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/%) \
	    $(UNITS:%=$(DESTDIR)$(SYSTEMDUSERUNITDIR)/%)

clean:
	rm -rf build build-asan build-fuzz

.PHONY: deps all unit integration check check-interop lint-man asan fuzz fuzz-build demo \
	install uninstall clean
