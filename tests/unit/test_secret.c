/*
 * test_secret.c - secret.c: password_command (output, newline, exit
 * status, stderr line, ceilings), password, and a Secret Service lookup
 * without a session bus (must fail at once); core dumps off while a
 * secret is held; the buffer locked while held and wiped when done;
 * libsecret loaded only when the Secret Service is asked, and a clear
 * error without it; the generic secret_item_*() calls without a bus.  The
 * lookup against a real gnome-keyring is tested in tests/integration.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "keyring.h"
#include "result.h"
#include "secret.h"
#include "util.h"

static struct account
test_account(char *command, char *password)
{
	struct account	 a;

	memset(&a, 0, sizeof(a));
	a.name = "test";
	a.host = "mail.example.org";
	a.user = "joe";
	a.timeout = 10;			/* config.c: 1..86400, default 300 */
	a.file = "/nonexistent/stamp.ini";
	a.password_command = command;
	a.password = password;
	return a;
}

/* Run command and expect it to give want (len bytes). */
static void
cmd_ok(char *command, const char *want, size_t len)
{
	struct account	 a = test_account(command, NULL);
	struct secret	 s;
	struct result	 res = { 0 };

	if (secret_get(&a, &s, &res) != 0)
		fail_msg("%s: %s", command, res.msg);
	assert_string_equal(s.source, "password_command");
	assert_int_equal(s.len, len);
	assert_memory_equal(s.buf, want, len);
	assert_int_equal(s.buf[len], '\0');
	secret_wipe(&s);
	assert_null(s.buf);
	assert_int_equal(s.len, 0);
}

static void
cmd_err(char *command, const char *want)
{
	struct account	 a = test_account(command, NULL);
	struct secret	 s;
	struct result	 res = { 0 };

	assert_int_equal(secret_get(&a, &s, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, want);
	assert_null(s.buf);
	secret_wipe(&s);		/* harmless after a failure */
}

/* A command that never ends is killed after the account's timeout. */
static void
test_command_timeout(void **state)
{
	struct account	 a = test_account("sleep 30", NULL);
	struct secret	 s;
	struct result	 res = { 0 };
	long long	 start = now_ms();

	(void)state;
	a.timeout = 1;
	assert_int_equal(secret_get(&a, &s, &res), -1);
	assert_true(now_ms() - start < 5000);
	assert_int_equal(res.exitcode, EX_TEMPFAIL);
	assert_string_equal(res.msg, "password_command did not finish within "
	    "1 s (timeout = in the account)");
	assert_null(s.buf);
}

static void
test_command_output(void **state)
{
	(void)state;
	cmd_ok("printf 'pw'", "pw", 2);
	cmd_ok("echo 'pass word'", "pass word", 9);
	cmd_ok("printf 'pw\\r\\n'", "pw", 2);
	cmd_ok("printf 'pw\\n\\n'", "pw\n", 3);	/* one newline only */
	cmd_ok("printf ' pw \\n'", " pw ", 4);	/* no other trimming */
	cmd_ok("echo pw; echo noise >&2", "pw", 2);
	/* stdin is /dev/null, not ours: cat ends at once. */
	cmd_ok("cat; echo pw", "pw", 2);
	/* The environment is passed as is. */
	setenv("STAMP_TEST_PW", "from-env", 1);
	cmd_ok("printf %s \"$STAMP_TEST_PW\"", "from-env", 8);
	unsetenv("STAMP_TEST_PW");
}

static void
test_command_limits(void **state)
{
	char	 cmd[128], want[SECRET_MAX];

	(void)state;
	memset(want, 'a', sizeof(want));
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/zero | tr '\\0' a; echo",
	    SECRET_MAX);
	cmd_ok(cmd, want, SECRET_MAX);
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/zero | tr '\\0' a",
	    SECRET_MAX + 1);
	cmd_err(cmd, "password_command printed more than 16384 bytes");
	/* Endless output must not hang us. */
	cmd_err("yes", "password_command printed more than 16384 bytes");
}

static void
test_command_errors(void **state)
{
	(void)state;
	cmd_err("echo oops >&2; echo more >&2; echo pw; exit 3",
	    "password_command failed (exit status 3): oops");
	cmd_err("exit 1", "password_command failed (exit status 1)");
	cmd_err("printf 'first\\r\\nsecond' >&2; false",
	    "password_command failed (exit status 1): first");
	cmd_err("/nonexistent/pass-helper",
	    "password_command failed (exit status 127): sh: 1: "
	    "/nonexistent/pass-helper: not found");
	cmd_err("kill -9 $$", "password_command killed by signal 9");
	cmd_err("true", "password_command printed nothing");
	cmd_err("echo", "password_command printed nothing");
	cmd_err("printf 'a\\000b'", "password_command printed a NUL byte");
}

static void
test_password(void **state)
{
	struct account	 a = test_account(NULL, "s3cret pw");
	struct secret	 s;
	struct result	 res = { 0 };

	(void)state;
	assert_int_equal(secret_get(&a, &s, &res), 0);
	assert_string_equal(s.source, "password");
	assert_string_equal(s.buf, "s3cret pw");
	assert_int_equal(s.len, 9);
	secret_wipe(&s);

	/* password_command comes first. */
	a = test_account("echo from-command", "from-file");
	assert_int_equal(secret_get(&a, &s, &res), 0);
	assert_string_equal(s.buf, "from-command");
	secret_wipe(&s);
	secret_wipe(&s);
}

/* What a lookup in a child process gave. */
struct child_lookup {
	int		 rv;
	int		 has_buf;
	long long	 took;		/* ms */
	struct result	 res;
};

/*
 * A Secret Service lookup with the session bus address bus (NULL: none)
 * in a fresh child: GLib keeps the session bus connection (and a failed
 * one, for a while) per process, so each case gets its own.
 */
static struct child_lookup
lookup_in_child(const char *bus, int timeout)
{
	struct child_lookup cl;
	struct account	 a = test_account(NULL, NULL);
	struct secret	 s;
	long long	 t0;
	pid_t		 pid;
	int		 p[2], status;

	memset(&cl, 0, sizeof(cl));
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (bus != NULL)
			setenv("DBUS_SESSION_BUS_ADDRESS", bus, 1);
		else
			unsetenv("DBUS_SESSION_BUS_ADDRESS");
		unsetenv("DISPLAY");
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("XDG_RUNTIME_DIR");
		a.timeout = timeout;
		t0 = now_ms();
		cl.rv = secret_get(&a, &s, &cl.res);
		cl.took = now_ms() - t0;
		cl.has_buf = s.buf != NULL;
		_exit(write(p[1], &cl, sizeof(cl)) == sizeof(cl) ? 0 : 1);
	}
	assert_true(pid > 0);
	close(p[1]);
	assert_int_equal(read(p[0], &cl, sizeof(cl)), sizeof(cl));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return cl;
}

/* Under cron: no bus, no display.  GLib must fail at once. */
static void
test_no_bus(void **state)
{
	struct child_lookup cl = lookup_in_child(NULL, 10);

	(void)state;
	assert_int_equal(cl.rv, -1);
	assert_true(cl.took < 1000);
	assert_int_equal(cl.res.exitcode, EX_CONFIG);
	assert_string_equal(cl.res.msg, "Secret Service not reachable: no "
	    "D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set, as under "
	    "cron or ssh); set password_command or password for account "
	    "'test' in /nonexistent/stamp.ini, or run stamp inside a session "
	    "with a D-Bus session bus");
	assert_false(cl.has_buf);
}

/* A stale bus address (the session is gone): at once, and says so. */
static void
test_dead_bus(void **state)
{
	struct child_lookup cl = lookup_in_child("unix:path=/nonexistent/bus",
	    10);
	static const char want[] = "Secret Service not reachable: cannot "
	    "connect to the D-Bus session bus (";

	(void)state;
	assert_int_equal(cl.rv, -1);
	assert_true(cl.took < 1000);
	assert_int_equal(cl.res.exitcode, EX_CONFIG);
	assert_memory_equal(cl.res.msg, want, sizeof(want) - 1);
	assert_non_null(strstr(cl.res.msg, "); set password_command or "
	    "password for account 'test' in /nonexistent/stamp.ini"));
	assert_false(cl.has_buf);
}

/* A bus socket that accepts but never answers (a hung session): the
 * lookup gives up after the account's timeout, not D-Bus's 25 s. */
static void
test_silent_bus(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct child_lookup cl;
	char		 dir[] = "/tmp/stamp-bus.XXXXXX", addr[160];
	int		 fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/bus", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	snprintf(addr, sizeof(addr), "unix:path=%s", sun.sun_path);
	cl = lookup_in_child(addr, 1);
	close(fd);
	unlink(sun.sun_path);
	rmdir(dir);
	assert_int_equal(cl.rv, -1);
	/* 1 s, then at most SS_GRACE_MS for the cancellation. */
	if (cl.took < 900 || cl.took >= 4000)
		fail_msg("took %lld ms: %s", cl.took, cl.res.msg);
	assert_int_equal(cl.res.exitcode, EX_CONFIG);
	assert_string_equal(cl.res.msg, "Secret Service not reachable: no "
	    "answer on the D-Bus session bus within 1 s; set password_command "
	    "or password for account 'test' in /nonexistent/stamp.ini, or run "
	    "stamp inside a session with a D-Bus session bus");
	assert_false(cl.has_buf);
}

/* Is a library whose path contains name mapped in this process? */
static int
mapped(const char *name)
{
	char	 line[512];
	int	 found = 0;
	FILE	*f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, name) != NULL)
			found = 1;
	fclose(f);
	return found;
}

/* What the child of in_child() saw. */
struct child_seen {
	int		 rv;
	int		 before;	/* libsecret mapped before the call */
	int		 after;		/* and after */
	int		 has_buf;
	struct result	 res;
};

/* Run f in a fresh child without a session bus; what it saw. */
static struct child_seen
in_child(int (*f)(struct secret *, struct result *))
{
	struct child_seen cs;
	struct secret	 s;
	pid_t		 pid;
	int		 p[2], status;

	memset(&cs, 0, sizeof(cs));
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		unsetenv("DBUS_SESSION_BUS_ADDRESS");
		memset(&s, 0, sizeof(s));
		cs.before = mapped("libsecret-1.so");
		cs.rv = f(&s, &cs.res);
		cs.after = mapped("libsecret-1.so");
		cs.has_buf = s.buf != NULL;
		_exit(write(p[1], &cs, sizeof(cs)) == sizeof(cs) ? 0 : 1);
	}
	assert_true(pid > 0);
	close(p[1]);
	assert_int_equal(read(p[0], &cs, sizeof(cs)), sizeof(cs));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return cs;
}

static int
get_password(struct secret *s, struct result *res)
{
	struct account	 a = test_account(NULL, "pw");
	int		 rv = secret_get(&a, s, res);

	secret_wipe(s);
	return rv;
}

static int
get_from_keyring(struct secret *s, struct result *res)
{
	struct account	 a = test_account(NULL, NULL);

	return secret_get(&a, s, res);
}

static int
get_without_library(struct secret *s, struct result *res)
{
	keyring_soname = "libsecret-missing.so.0";
	return get_from_keyring(s, res);
}

/* DESIGN.md 1.4: GLib/D-Bus only when a password must be looked up. */
static void
test_loaded_on_demand(void **state)
{
	struct child_seen cs;

	(void)state;
	cs = in_child(get_password);
	assert_int_equal(cs.rv, 0);
	assert_false(cs.before);
	assert_false(cs.after);
	cs = in_child(get_from_keyring);
	assert_int_equal(cs.rv, -1);	/* no bus here */
	assert_false(cs.before);
	assert_true(cs.after);
	assert_non_null(strstr(cs.res.msg, "no D-Bus session bus"));
}

static void
test_no_library(void **state)
{
	struct child_seen cs = in_child(get_without_library);
	static const char want[] = "the Secret Service library "
	    "libsecret-missing.so.0 is not installed: libsecret-missing.so.0: "
	    "cannot open shared object file";

	(void)state;
	assert_int_equal(cs.rv, -1);
	assert_int_equal(cs.res.exitcode, EX_CONFIG);
	assert_memory_equal(cs.res.msg, want, sizeof(want) - 1);
	assert_non_null(strstr(cs.res.msg, "; set password_command or "
	    "password for account 'test' in /nonexistent/stamp.ini, or run "
	    "stamp inside a session with a D-Bus session bus"));
	assert_false(cs.after);
	assert_false(cs.has_buf);
}

static const char *const token_attrs[] = { "xdg:schema", "org.stamp.OAuth2",
    "service", "oauth2", "user", "joe", NULL };

static int
item_lookup(struct secret *s, struct result *res)
{
	return secret_item_lookup(token_attrs, s, 5, res);
}

static int
item_store(struct secret *s, struct result *res)
{
	(void)s;
	return secret_item_store(token_attrs, "token", "tok", 3, 5, res);
}

static int
item_clear(struct secret *s, struct result *res)
{
	(void)s;
	return secret_item_clear(token_attrs, 5, res);
}

static int
item_odd(struct secret *s, struct result *res)
{
	static const char *const odd[] = { "service", "oauth2", "user",
	    NULL };

	return secret_item_lookup(odd, s, 5, res);
}

/* The generic calls: the same errors, in generic words. */
static void
test_items_no_bus(void **state)
{
	int	(*f[])(struct secret *, struct result *) = { item_lookup,
	    item_store, item_clear };
	struct child_seen cs;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		cs = in_child(f[i]);
		assert_int_equal(cs.rv, -1);
		assert_int_equal(cs.res.exitcode, EX_CONFIG);
		assert_string_equal(cs.res.msg, "Secret Service not reachable: "
		    "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not "
		    "set, as under cron or ssh); run stamp inside a session "
		    "with a D-Bus session bus");
		assert_false(cs.has_buf);
	}
	cs = in_child(item_odd);
	assert_int_equal(cs.rv, -1);
	assert_int_equal(cs.res.exitcode, EX_SOFTWARE);
	assert_string_equal(cs.res.msg, "keyring attribute user has no value");
}

/*
 * The generic calls against a real gnome-keyring: this binary again
 * (--in-keyring) under dbus-run-session, with a fresh unlocked keyring
 * in a temporary HOME.  Exit 0, or the number of the failed check.
 */
#define IN_KEYRING	"--in-keyring"
#define KR_CHECK(n, cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "in keyring: check %d: %s\n", (n),	\
		    res.msg);						\
		return (n);						\
	}								\
} while (0)

static int
in_keyring(void)
{
	static const char *const other[] = { "service", "oauth2", "user",
	    "ann", NULL };
	struct secret	 s;
	struct result	 res = { 0 };
	char		*big;
	int		 i, rv = -1;

	/* gnome-keyring may take a moment to own its name on the bus. */
	for (i = 0; i < 50 && rv == -1; i++) {
		memset(&res, 0, sizeof(res));
		if ((rv = secret_item_lookup(token_attrs, &s, 5, &res)) == -1)
			usleep(100 * 1000);
	}
	KR_CHECK(1, rv == 0 && s.buf == NULL);
	KR_CHECK(2, secret_item_store(token_attrs, "token", "tok-1", 5, 5,
	    &res) == 0);
	KR_CHECK(3, secret_item_lookup(token_attrs, &s, 5, &res) == 1);
	KR_CHECK(4, s.len == 5 && strcmp(s.buf, "tok-1") == 0 &&
	    strcmp(s.source, "libsecret") == 0);
	secret_wipe(&s);
	/* Stored again: replaced, not a second item. */
	KR_CHECK(5, secret_item_store(token_attrs, "token", "tok-22", 6, 5,
	    &res) == 0);
	KR_CHECK(6, secret_item_store(other, "other", "ann's", 5, 5,
	    &res) == 0);
	KR_CHECK(7, secret_item_lookup(token_attrs, &s, 5, &res) == 1 &&
	    strcmp(s.buf, "tok-22") == 0);
	secret_wipe(&s);
	/* SECRET_MAX bytes fit (an OAuth2 access token); one more does not. */
	if ((big = malloc(SECRET_MAX + 1)) == NULL)
		return 99;
	memset(big, 'j', SECRET_MAX + 1);
	KR_CHECK(8, secret_item_store(token_attrs, "token", big, SECRET_MAX,
	    5, &res) == 0);
	KR_CHECK(9, secret_item_lookup(token_attrs, &s, 5, &res) == 1 &&
	    s.len == SECRET_MAX && memcmp(s.buf, big, SECRET_MAX) == 0);
	secret_wipe(&s);
	KR_CHECK(10, secret_item_store(token_attrs, "token", big,
	    SECRET_MAX + 1, 5, &res) == -1 && res.exitcode == EX_DATAERR);
	free(big);
	memset(&res, 0, sizeof(res));
	KR_CHECK(11, secret_item_clear(token_attrs, 5, &res) == 1);
	KR_CHECK(12, secret_item_lookup(token_attrs, &s, 5, &res) == 0 &&
	    s.buf == NULL);
	KR_CHECK(13, secret_item_clear(token_attrs, 5, &res) == 0);
	/* The other item was left alone. */
	KR_CHECK(14, secret_item_lookup(other, &s, 5, &res) == 1 &&
	    strcmp(s.buf, "ann's") == 0);
	secret_wipe(&s);
	return 0;
}

static void
test_items_real_keyring(void **state)
{
	static const char script[] = "printf %s unlock-pw | "
	    "gnome-keyring-daemon --unlock --components=secrets >/dev/null "
	    "2>&1 && exec \"$0\" " IN_KEYRING;
	char		 self[512], home[] = "/tmp/stamp-kr.XXXXXX", cmd[600];
	ssize_t		 n;
	pid_t		 pid;
	int		 status;

	(void)state;
	if (access("/usr/bin/dbus-run-session", X_OK) != 0 ||
	    access("/usr/bin/gnome-keyring-daemon", X_OK) != 0)
		skip();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_non_null(mkdtemp(home));
	if ((pid = fork()) == 0) {
		setenv("HOME", home, 1);
		unsetenv("DBUS_SESSION_BUS_ADDRESS");
		unsetenv("XDG_RUNTIME_DIR");
		unsetenv("DISPLAY");
		execl("/usr/bin/dbus-run-session", "dbus-run-session", "--",
		    "/bin/sh", "-c", script, self, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	assert_int_equal(system(cmd), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* secret_store and secret_clear need a user, as the lookup does. */
static void
test_store_needs_user(void **state)
{
	struct account	 a = test_account(NULL, NULL);
	struct result	 res = { 0 };
	int		 n = -1;

	(void)state;
	a.user = NULL;
	assert_int_equal(secret_store(&a, "pw", 2, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, "account 'test' has no user, so it has no "
	    "password (add user = to it in /nonexistent/stamp.ini)");
	memset(&res, 0, sizeof(res));
	assert_int_equal(secret_clear(&a, &n, &res), -1);
	assert_int_equal(n, 0);
	assert_int_equal(res.exitcode, EX_CONFIG);
}

/* In a child, so that the state before is known: 0 if all went well. */
static int
protect_in_child(int use_get)
{
	struct account	 a = test_account(NULL, "pw");
	struct secret	 s;
	struct result	 res = { 0 };
	struct rlimit	 rl = { 4096, 4096 };
	int		 ok;

	/* A known start: dumpable, cores allowed (the test runs first, so
	 * the hard limit still allows this even without privileges). */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 ||
	    setrlimit(RLIMIT_CORE, &rl) != 0)
		return 2;
	if ((use_get ? secret_get(&a, &s, &res) : secret_protect(&res)) != 0)
		return 3;
	ok = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 &&
	    getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
	    rl.rlim_max == 0;
	if (use_get)
		secret_wipe(&s);
	return ok ? 0 : 4;
}

/* DESIGN.md 7: no core file may hold a secret. */
static void
test_core_dumps_off(void **state)
{
	int	 use_get, status;
	pid_t	 pid;

	(void)state;
	for (use_get = 0; use_get <= 1; use_get++) {
		if ((pid = fork()) == 0)
			_exit(protect_in_child(use_get));
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN	1
#else
#define UNDER_ASAN	0
#endif

/* Locked memory of this process, in kB (VmLck). */
static long
vm_locked_kb(void)
{
	char	 line[256];
	long	 kb = -1;
	FILE	*f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Does any 8 bytes of pw occur in the len bytes at address addr?  Read
 * through /proc/self/mem: the memory may have been freed. */
static int
still_there(uintptr_t addr, size_t len, const char *pw)
{
	char	 buf[SECRET_MAX];
	size_t	 i, pwlen = strlen(pw);
	ssize_t	 n;
	int	 fd = open("/proc/self/mem", O_RDONLY);

	assert_true(fd != -1);
	assert_true(len <= sizeof(buf));
	n = pread(fd, buf, len, (off_t)addr);
	close(fd);
	assert_int_equal(n, (ssize_t)len);
	for (i = 0; i + 8 <= pwlen; i++)
		if (memmem(buf, len, pw + i, 8) != NULL)
			return 1;
	return 0;
}

/*
 * The password is locked in memory while held and wiped by secret_wipe:
 * what was its buffer no longer holds any 8 bytes of it.  glibc reuses
 * the first 16 bytes of a freed chunk, so the password is longer; guard
 * keeps the chunk from being merged into the top and trimmed away.
 */
static void
test_wiped(void **state)
{
	static const char pw[] =
	    "wipe-me-0123456789-abcdefghijklmnopqrstuvwxyz";
	struct account	 a = test_account("printf %s wipe-me-0123456789-; "
	    "printf %s abcdefghijklmnopqrstuvwxyz", NULL);
	struct secret	 s;
	struct result	 res = { 0 };
	struct rlimit	 rl;
	uintptr_t	 addr;
	long		 locked = vm_locked_kb();
	void		*guard;

	(void)state;
	assert_int_equal(secret_get(&a, &s, &res), 0);
	assert_string_equal(s.buf, pw);
	/* ASan makes mlock() a no-op; without privilege it may not fit. */
	if (!UNDER_ASAN && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    rl.rlim_cur >= 64 * 1024)
		assert_true(vm_locked_kb() >= locked + 4);
	addr = (uintptr_t)s.buf;
	guard = malloc(64);
	assert_non_null(guard);
	assert_true(still_there(addr, sizeof(pw), pw));	/* the probe works */
	secret_wipe(&s);
	assert_null(s.buf);
	assert_false(still_there(addr, sizeof(pw), pw));
	assert_int_equal(vm_locked_kb(), locked);
	free(guard);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_dumps_off),	/* first: see there */
		cmocka_unit_test(test_command_output),
		cmocka_unit_test(test_command_limits),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_no_bus),
		cmocka_unit_test(test_dead_bus),
		cmocka_unit_test(test_silent_bus),
		cmocka_unit_test(test_store_needs_user),
		cmocka_unit_test(test_loaded_on_demand),
		cmocka_unit_test(test_no_library),
		cmocka_unit_test(test_items_no_bus),
		cmocka_unit_test(test_items_real_keyring),
		cmocka_unit_test(test_wiped),
	};

	if (argc == 2 && strcmp(argv[1], IN_KEYRING) == 0)
		return in_keyring();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
