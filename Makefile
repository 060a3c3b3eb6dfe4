# stamp - the only build entry point.
#   make            build build/stamp
#   make check      unit tests (cmocka) + integration tests (pytest)
#   make asan       the whole check again under ASan + UBSan (build-asan/)
#   make install    honours PREFIX and DESTDIR

VERSION	 = 0.1.0
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/stamp
BUILD	?= build
PYTHON	?= /usr/bin/python3
PKG_CONFIG ?= pkg-config

PKGS	 = openssl libsecret-1 inih
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wformat=2 -Wcast-qual -Wvla
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS))
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
	    tests/integration $(PYTEST_ARGS)

check: deps all unit integration lint-man

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

demo: $(BUILD)/stamp
	$(PYTHON) scripts/demo.py $(abspath $(BUILD)/stamp)

install: $(BUILD)/stamp
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/stamp $(DESTDIR)$(BINDIR)/stamp
	install -m 0644 man/stamp.1 $(DESTDIR)$(MANDIR)/man1/stamp.1
	install -m 0644 man/stamp.ini.5 $(DESTDIR)$(MANDIR)/man5/stamp.ini.5
	install -m 0644 etc/stamp.ini $(DESTDIR)$(DOCDIR)/stamp.ini.example

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/stamp $(DESTDIR)$(MANDIR)/man1/stamp.1 \
	    $(DESTDIR)$(MANDIR)/man5/stamp.ini.5 \
	    $(DESTDIR)$(DOCDIR)/stamp.ini.example

clean:
	rm -rf build build-asan

.PHONY: deps all unit integration check lint-man asan demo install uninstall clean
