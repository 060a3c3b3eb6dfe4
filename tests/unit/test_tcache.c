/*
 * test_tcache.c - the TLS session cache's files (tcache.h): where they
 * go, their modes, what is refused when loading, the entry names, and
 * the temporary files of killed writers removed.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tcache.h"

static char	 base[256];		/* a fresh temporary HOME */
static char	 key[TCACHE_KEY_LEN + 1];

static int
setup(void **state)
{
	const char	*parts[] = { "host", "465" };

	(void)state;
	snprintf(base, sizeof(base), "/tmp/test_tcache.XXXXXX");
	if (mkdtemp(base) == NULL)
		return -1;
	setenv("HOME", base, 1);
	unsetenv("XDG_CACHE_HOME");
	tcache_key(key, parts, 2);
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void
entry_path(char *buf, size_t n)
{
	snprintf(buf, n, "%s/.cache/stamp/tls/%s", base, key);
}

static mode_t
mode_of(const char *path)
{
	struct stat	 st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_key(void **state)
{
	const char	*a[] = { "ab", "c" }, *b[] = { "a", "bc" };
	const char	*c[] = { "x", NULL }, *d[] = { "x", "" };
	char		 ka[TCACHE_KEY_LEN + 1], kb[TCACHE_KEY_LEN + 1];
	char		 kc[TCACHE_KEY_LEN + 1], kd[TCACHE_KEY_LEN + 1];
	char		 again[TCACHE_KEY_LEN + 1];

	(void)state;
	tcache_key(ka, a, 2);
	tcache_key(kb, b, 2);
	tcache_key(kc, c, 2);
	tcache_key(kd, d, 2);
	tcache_key(again, a, 2);
	assert_int_equal(strlen(ka), TCACHE_KEY_LEN);
	assert_int_equal(strspn(ka, "0123456789abcdef"), TCACHE_KEY_LEN);
	assert_string_equal(ka, again);
	assert_string_not_equal(ka, kb);	/* parts are length-prefixed */
	assert_string_not_equal(kc, kd);	/* NULL is not "" */
}

static void
test_store_load_modes(void **state)
{
	char	 path[512], buf[64];

	(void)state;
	tcache_store(key, "session-1", 9);
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 9);
	assert_memory_equal(buf, "session-1", 9);
	tcache_store(key, "session-two", 11);	/* replaced */
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "session-two", 11);
	entry_path(path, sizeof(path));
	assert_int_equal(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/.cache/stamp/tls", base);
	assert_int_equal(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/.cache/stamp", base);
	assert_int_equal(mode_of(path), 0700);
	tcache_drop(key);
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 0);
}

static void
test_xdg(void **state)
{
	char	 xdg[300], buf[TCACHE_PATH_MAX];

	(void)state;
	snprintf(xdg, sizeof(xdg), "%s/xdg", base);
	setenv("XDG_CACHE_HOME", xdg, 1);
	assert_int_equal(tcache_dir(buf), 0);
	assert_string_equal(buf + strlen(xdg), "/stamp/tls");
	setenv("XDG_CACHE_HOME", "relative/path", 1);	/* ignored */
	assert_int_equal(tcache_dir(buf), 0);
	assert_string_equal(buf + strlen(base), "/.cache/stamp/tls");
	unsetenv("XDG_CACHE_HOME");
}

static void
test_no_home(void **state)
{
	char	 buf[TCACHE_PATH_MAX];

	(void)state;
	unsetenv("HOME");
	assert_int_equal(tcache_dir(buf), -1);
	tcache_store(key, "x", 1);			/* nothing, no crash */
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 0);
	setenv("HOME", "", 1);
	assert_int_equal(tcache_dir(buf), -1);
	setenv("HOME", base, 1);
}

static void
test_path_too_long(void **state)
{
	char	 *home = malloc(TCACHE_PATH_MAX + 2), buf[TCACHE_PATH_MAX];

	(void)state;
	assert_non_null(home);
	memset(home, 'a', TCACHE_PATH_MAX + 1);
	home[0] = '/';
	home[TCACHE_PATH_MAX + 1] = '\0';
	setenv("HOME", home, 1);
	assert_int_equal(tcache_dir(buf), -1);
	setenv("HOME", base, 1);
	free(home);
}

static void
test_refused_entries(void **state)
{
	char	 path[512], buf[64];
	FILE	*f;

	(void)state;
	entry_path(path, sizeof(path));
	tcache_store(key, "0123456789", 10);
	assert_int_equal(tcache_load(key, buf, 9), 0);	/* over cap */
	assert_int_equal(tcache_load(key, buf, 10), 10);
	assert_int_equal(chmod(path, 0640), 0);		/* others may read */
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_non_null(f = fopen(path, "w"));		/* empty */
	fclose(f);
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 0);
	tcache_store(key, "", 0);			/* never stored */
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 0);
}

static void
test_oversize_not_stored(void **state)
{
	char	*big = calloc(1, TCACHE_ENTRY_MAX + 1), path[512];

	(void)state;
	assert_non_null(big);
	tcache_store(key, big, TCACHE_ENTRY_MAX + 1);
	entry_path(path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	tcache_store(key, big, TCACHE_ENTRY_MAX);
	assert_int_equal(access(path, F_OK), 0);
	free(big);
}

static void
test_unsafe_dir(void **state)
{
	char	 path[512], buf[64];

	(void)state;
	tcache_store(key, "abc", 3);
	snprintf(path, sizeof(path), "%s/.cache/stamp/tls", base);
	assert_int_equal(chmod(path, 0770), 0);		/* group-writable */
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 0);
	tcache_store(key, "defg", 4);			/* not written */
	assert_int_equal(chmod(path, 0700), 0);
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 3);
}

/* A temporary file as a writer of pid leaves it, age seconds old. */
static void
make_tmp(char *path, size_t n, const char *k, long pid, int age)
{
	struct timespec	 t[2];
	int		 fd;

	snprintf(path, n, "%s/.cache/stamp/tls/.%s.%ld.tmp", base, k, pid);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "half", 4), 4);
	close(fd);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* A pid that no process has now: a child's, reaped. */
static long
dead_pid(void)
{
	pid_t	 pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

/*
 * A writer killed between create and rename leaves ".<key>.<pid>.tmp":
 * the next store removes those whose pid is gone or that are older
 * than a minute, for any key, and nothing else.
 */
static void
test_stale_tmp_removed(void **state)
{
	const char	*parts[] = { "other", "587" };
	char		 other[TCACHE_KEY_LEN + 1], dead[512], old[512];
	char		 live[512], odd[512], notours[512], buf[16];
	long		 gone = dead_pid(), alive = (long)getppid();

	(void)state;
	tcache_key(other, parts, 2);
	tcache_store(key, "v1", 2);			/* makes the directory */
	make_tmp(dead, sizeof(dead), key, gone, 0);
	make_tmp(old, sizeof(old), other, alive, 120);
	make_tmp(live, sizeof(live), other, 1, 5);	/* alive, writing */
	snprintf(odd, sizeof(odd), "%s/.cache/stamp/tls/.%s.%ld.tmp", base,
	    "not-a-key", gone);
	assert_int_equal(close(open(odd, O_WRONLY | O_CREAT, 0600)), 0);
	snprintf(notours, sizeof(notours), "%s/.cache/stamp/tls/.%s.%ldx.tmp",
	    base, key, gone);
	assert_int_equal(close(open(notours, O_WRONLY | O_CREAT, 0600)), 0);
	tcache_store(key, "v2", 2);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(old, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
	assert_int_equal(access(odd, F_OK), 0);
	assert_int_equal(access(notours, F_OK), 0);
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "v2", 2);
	/* A load only reads: nothing is removed then. */
	make_tmp(dead, sizeof(dead), key, gone, 0);
	assert_int_equal(tcache_load(key, buf, sizeof(buf)), 2);
	assert_int_equal(access(dead, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_load_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_xdg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_home, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_too_long, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_oversize_not_stored, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp_removed, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
