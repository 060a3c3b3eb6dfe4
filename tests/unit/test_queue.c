/*
 * test_queue.c - the queue on disk (queue.h): an item round-trips
 * byte for byte, locks exclude, retry/fail/done/drop move the files
 * they should, corrupt items are refused, litter is tidied.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "msg.h"
#include "queue.h"
#include "result.h"
#include "smtp.h"
#include "util.h"

#define HDR	"From: a@x.org\r\nSubject: edited\r\n\r\n"
#define RAW	"Subject: original\n\nbody line 1\nbody \xc3\xa9\n"
#define BODY	"body line 1\nbody \xc3\xa9\n"

struct fx {
	char		 dir[64];
	struct msg	 msg;
	char		*rcpts[2];
	struct smtp_msg	 m;
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	struct result	 res = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/stamp-test-queue-XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	if (msg_begin(&f->msg, &res) == -1 ||
	    msg_append(&f->msg, RAW, strlen(RAW), &res) == -1 ||
	    msg_end(&f->msg, &res) == -1)
		return -1;
	f->rcpts[0] = "b@y.org";
	f->rcpts[1] = "c@z.org";
	f->m.from = "a@x.org";
	f->m.rcpts = f->rcpts;
	f->m.nrcpts = 2;
	f->m.hdr = HDR;
	f->m.hdrlen = strlen(HDR);
	f->m.msg = &f->msg;
	f->m.body_off = (off_t)(strlen(RAW) - strlen(BODY));
	f->m.notify = "FAILURE";
	f->m.envid = "e1";
	f->m.body_qp = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 cmd[128];

	msg_free(&f->msg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/*
 * getrandom, interposed: the scripted values first (to force two items
 * onto one id), then the kernel's.
 */
static unsigned int	 rnd_script[4];
static size_t		 rnd_n, rnd_i;

ssize_t
getrandom(void *buf, size_t n, unsigned int flags)
{
	if (rnd_i < rnd_n && n == sizeof(unsigned int)) {
		memcpy(buf, &rnd_script[rnd_i++], n);
		return (ssize_t)n;
	}
	return syscall(SYS_getrandom, buf, n, flags);
}

static void
put(struct fx *f, char id[QUEUE_ID_LEN + 1])
{
	struct result	 res = { 0 };

	assert_int_equal(queue_put(f->dir, "work", &f->m, "<m@x>",
	    "connect: refused", id, &res), 0);
	assert_true(queue_is_id(id));
}

static char *
path(const struct fx *f, const char *rel)
{
	static char	 p[256];

	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	return p;
}

static int
exists(const struct fx *f, const char *rel)
{
	return access(path(f, rel), F_OK) == 0;
}

static size_t
count(const char *dir)
{
	struct strlist	 ids;
	struct result	 res = { 0 };
	size_t		 n;

	assert_int_equal(queue_list(dir, &ids, &res), 0);
	n = ids.n;
	strlist_free(&ids);
	return n;
}

static void
test_ids(void **state)
{
	(void)state;
	assert_true(queue_is_id("0123456789abcdef"));
	assert_false(queue_is_id("0123456789abcde"));
	assert_false(queue_is_id("0123456789abcdef0"));
	assert_false(queue_is_id("0123456789ABCDEF"));
	assert_false(queue_is_id("../../etc/passwd"));
	assert_false(queue_is_id(""));
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(queue_backoff(1), 60);
	assert_int_equal(queue_backoff(2), 120);
	assert_int_equal(queue_backoff(3), 240);
	assert_int_equal(queue_backoff(6), 1920);
	assert_int_equal(queue_backoff(7), 3600);
	assert_int_equal(queue_backoff(1000), 3600);
}

static void
test_dir(void **state)
{
	struct result	 res = { 0 };
	char		*d;

	(void)state;
	d = queue_dir("/x/q", &res);
	assert_string_equal(d, "/x/q");
	free(d);
	if (getuid() == 0) {
		d = queue_dir(NULL, &res);
		assert_string_equal(d, QUEUE_SYSTEM_DIR);
		free(d);
		return;
	}
	setenv("XDG_STATE_HOME", "/st", 1);
	d = queue_dir(NULL, &res);
	assert_string_equal(d, "/st/stamp/queue");
	free(d);
	setenv("XDG_STATE_HOME", "relative", 1);	/* ignored (XDG) */
	setenv("HOME", "/h", 1);
	d = queue_dir(NULL, &res);
	assert_string_equal(d, "/h/.local/state/stamp/queue");
	free(d);
}

/* What goes in comes out: the envelope, the edited header, the body. */
static void
test_round_trip(void **state)
{
	struct fx		*f = *state;
	struct queue_item	 it;
	struct result		 res = { 0 };
	char			 id[QUEUE_ID_LEN + 1], buf[256];
	struct stat		 st;
	ssize_t			 n;

	put(f, id);
	assert_int_equal(count(f->dir), 1);
	assert_int_equal(stat(path(f, id), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(count(path(f, "tmp")), 0);
	assert_int_equal(queue_open(f->dir, id, 1, &it, &res), 0);
	assert_string_equal(it.account, "work");
	assert_string_equal(it.sm.from, "a@x.org");
	assert_int_equal(it.sm.nrcpts, 2);
	assert_string_equal(it.sm.rcpts[1], "c@z.org");
	assert_string_equal(it.sm.notify, "FAILURE");
	assert_string_equal(it.sm.envid, "e1");
	assert_null(it.sm.ret);
	assert_null(it.sm.body_type);
	assert_int_equal(it.sm.body_qp, 1);
	assert_string_equal(it.msgid, "<m@x>");
	assert_int_equal(it.sm.hdrlen, strlen(HDR));
	assert_memory_equal(it.sm.hdr, HDR, strlen(HDR));
	n = msg_read_at(it.sm.msg, it.sm.body_off, buf, sizeof(buf), &res);
	assert_int_equal(n, strlen(BODY));
	assert_memory_equal(buf, BODY, strlen(BODY));
	assert_true(it.sm.msg->eightbit);
	/* The first attempt is the item's own: due after one back-off. */
	assert_int_equal(it.st.attempts, 1);
	assert_string_equal(it.st.error, "connect: refused");
	assert_int_equal(it.st.next, it.created + QUEUE_BACKOFF_MIN);
	assert_false(queue_due(&it, it.created));
	assert_true(queue_due(&it, it.created + QUEUE_BACKOFF_MIN));
	assert_false(queue_expired(&it, it.created + QUEUE_MAX_AGE - 1));
	assert_true(queue_expired(&it, it.created + QUEUE_MAX_AGE));
	queue_close(&it);
}

static void
write_file(const char *p, const char *text)
{
	FILE	*fp = fopen(p, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
assert_file(const char *p, const char *text)
{
	char	 buf[64];
	FILE	*fp = fopen(p, "r");
	size_t	 n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, text);
}

/*
 * Two items of one second that draw the same random bits: the second
 * must not replace the first (mail lost) but take a new id.  Items
 * named for the drawn bits around now stand for the first; one more
 * in failed/ must not be taken either.
 */
static void
test_id_collision(void **state)
{
	struct fx	*f = *state;
	char		 id[QUEUE_ID_LEN + 1], name[QUEUE_ID_LEN + 1], p[64];
	long long	 t, now = (long long)time(NULL);

	assert_int_equal(mkdir(path(f, QUEUE_FAILED), 0700), 0);
	for (t = now - 1; t <= now + 2; t++) {
		snprintf(name, sizeof(name), "%08llx%08x", t, 0xaaaaaaaau);
		write_file(path(f, name), "first item\n");
		snprintf(name, sizeof(name), "%08llx%08x", t, 0xbbbbbbbbu);
		snprintf(p, sizeof(p), "%s/%s", QUEUE_FAILED, name);
		write_file(path(f, p), "failed item\n");
	}
	rnd_script[0] = 0xaaaaaaaau;		/* taken in DIR */
	rnd_script[1] = 0xbbbbbbbbu;		/* taken in failed/ */
	rnd_script[2] = 0xccccccccu;		/* free */
	rnd_n = 3;
	rnd_i = 0;
	put(f, id);
	rnd_n = 0;
	assert_int_equal(rnd_i, 3);
	assert_string_equal(id + 8, "cccccccc");
	for (t = now - 1; t <= now + 2; t++) {
		snprintf(name, sizeof(name), "%08llx%08x", t, 0xaaaaaaaau);
		assert_file(path(f, name), "first item\n");
		snprintf(name, sizeof(name), "%08llx%08x", t, 0xbbbbbbbbu);
		assert_false(exists(f, name));
	}
	assert_int_equal(count(f->dir), 5);
	assert_int_equal(count(path(f, "tmp")), 0);
}

/* A tampered state file: its error reaches mailq without escapes. */
static void
test_state_error_sanitised(void **state)
{
	struct fx		*f = *state;
	struct queue_item	 it;
	struct result		 res = { 0 };
	char			 id[QUEUE_ID_LEN + 1], st[64];

	put(f, id);
	snprintf(st, sizeof(st), "%s.state", id);
	write_file(path(f, st), "attempts 2\nerror \x1b[2Jgone\a\n");
	assert_int_equal(queue_open(f->dir, id, 0, &it, &res), 0);
	assert_int_equal(it.st.attempts, 2);
	assert_string_equal(it.st.error, "?[2Jgone?");
	queue_close(&it);
}

/* flock is per open file: a second open, even here, is refused. */
static void
test_lock_excludes(void **state)
{
	struct fx		*f = *state;
	struct queue_item	 a, b;
	struct result		 res = { 0 };
	char			 id[QUEUE_ID_LEN + 1];

	put(f, id);
	assert_int_equal(queue_open(f->dir, id, 1, &a, &res), 0);
	assert_int_equal(queue_open(f->dir, id, 1, &b, &res), 1);
	assert_int_equal(queue_open(f->dir, id, 0, &b, &res), 0);
	queue_close(&b);
	assert_int_equal(queue_drop(f->dir, id, &res), -1);
	assert_int_equal(res.exitcode, EX_TEMPFAIL);
	/* Delivered meanwhile: whoever waited finds nothing to send. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(queue_done(&a, &res), 0);
	queue_close(&a);
	assert_int_equal(queue_open(f->dir, id, 1, &b, &res), 1);
	assert_int_equal(count(f->dir), 0);
	assert_false(res.set);
}

static void
test_retry_fail_drop(void **state)
{
	struct fx		*f = *state;
	struct queue_item	 it;
	struct result		 res = { 0 };
	char			 id[QUEUE_ID_LEN + 1], st[64], failed[64];
	long long		 now = time(NULL) + 10;

	put(f, id);
	assert_int_equal(queue_open(f->dir, id, 1, &it, &res), 0);
	assert_int_equal(queue_retry(&it, "421 busy\r\n", now, &res), 0);
	queue_close(&it);
	snprintf(st, sizeof(st), "%s.state", id);
	assert_true(exists(f, st));
	assert_int_equal(queue_open(f->dir, id, 1, &it, &res), 0);
	assert_int_equal(it.st.attempts, 2);
	assert_int_equal(it.st.last, now);
	assert_int_equal(it.st.next, now + 120);
	assert_string_equal(it.st.error, "421 busy  ");	/* one line */
	assert_int_equal(queue_fail(&it, "550 no", now, &res), 0);
	queue_close(&it);
	assert_false(exists(f, id));
	assert_false(exists(f, st));
	snprintf(failed, sizeof(failed), "%s/%s", QUEUE_FAILED, id);
	assert_true(exists(f, failed));
	assert_int_equal(count(path(f, QUEUE_FAILED)), 1);
	assert_int_equal(queue_open(path(f, QUEUE_FAILED), id, 0, &it, &res),
	    0);
	assert_int_equal(it.st.attempts, 3);
	assert_string_equal(it.st.error, "550 no");
	queue_close(&it);
	/* --queue-drop finds it in failed/ too; then it is gone. */
	assert_int_equal(queue_drop(f->dir, id, &res), 0);
	assert_false(exists(f, failed));
	assert_int_equal(queue_drop(f->dir, id, &res), 1);
	assert_int_equal(queue_drop(f->dir, "nonsense", &res), 1);
	assert_false(res.set);
}

/* Rewrite the item with text replaced (or cut to len if find NULL). */
static void
damage(struct fx *f, const char *id, const char *find, const char *repl,
    long cut)
{
	char	 buf[4096], *p;
	FILE	*fp;
	size_t	 n;

	assert_non_null(fp = fopen(path(f, id), "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (find != NULL) {
		assert_non_null(p = strstr(buf, find));
		assert_int_equal(strlen(find), strlen(repl));
		memcpy(p, repl, strlen(repl));
	} else
		n = (size_t)((long)n + cut);
	assert_non_null(fp = fopen(path(f, id), "w"));
	assert_int_equal(fwrite(buf, 1, n, fp), n);
	fclose(fp);
}

static void
assert_corrupt(struct fx *f, const char *id, int lock)
{
	struct queue_item	 it;
	struct result		 res = { 0 };

	assert_int_equal(queue_open(f->dir, id, lock, &it, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	assert_non_null(strstr(res.msg, id));
	assert_non_null(strstr(res.msg, "corrupt"));
	queue_close(&it);
}

static void
test_corrupt(void **state)
{
	struct fx	*f = *state;
	char		 id[QUEUE_ID_LEN + 1];
	static const char *const edits[][2] = {
		{ "stamp-queue 1", "stamp-queue 9" },	/* unknown version */
		{ "\naccount ", "\naccounX " },		/* unknown key */
		{ "\nhdrlen ", "\nrcpt   " },		/* hdrlen missing */
		{ "\nbody_qp 1", "\nbody_qp 7" },	/* out of range */
		{ "\ncreated 1", "\ncreated -" },	/* not a number */
		{ "@y.org\n", "@y.or\r\n" },		/* a CR (fuzz_queue) */
		{ "x.org\nrcpt", "x.o\rg\nrcpt" },	/* in the sender */
	};
	size_t		 i;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		put(f, id);
		damage(f, id, edits[i][0], edits[i][1], 0);
		assert_corrupt(f, id, 1);
		assert_corrupt(f, id, 0);
		unlink(path(f, id));
	}
	put(f, id);			/* truncated */
	damage(f, id, NULL, NULL, -1);
	assert_corrupt(f, id, 1);
	assert_corrupt(f, id, 0);
	unlink(path(f, id));
	put(f, id);			/* something appended */
	damage(f, id, NULL, NULL, 0);
	{
		FILE	*fp = fopen(path(f, id), "a");

		assert_non_null(fp);
		fputs("x", fp);
		fclose(fp);
	}
	assert_corrupt(f, id, 0);
}

/* A value with a line end would forge envelope lines: refused. */
static void
test_line_end_refused(void **state)
{
	struct fx	*f = *state;
	struct result	 res = { 0 };
	char		 id[QUEUE_ID_LEN + 1];

	f->rcpts[1] = "c@z.org\nrcpt evil@x.org";
	assert_int_equal(queue_put(f->dir, "work", &f->m, NULL, "e", id,
	    &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	assert_int_equal(count(f->dir), 0);
	f->rcpts[1] = "c@z.org";
}

/* What dead writers leave in tmp/ goes; a live writer's stays. */
static void
test_tidy(void **state)
{
	struct fx	*f = *state;
	char		 id[QUEUE_ID_LEN + 1];
	int		 live, dead;

	put(f, id);			/* makes tmp/ */
	dead = open(path(f, "tmp/dead"), O_CREAT | O_WRONLY, 0600);
	live = open(path(f, "tmp/live"), O_CREAT | O_WRONLY, 0600);
	assert_true(dead != -1 && live != -1);
	assert_int_equal(flock(live, LOCK_EX), 0);
	close(dead);
	close(open(path(f, "0000000000000000.state"), O_CREAT | O_WRONLY,
	    0600));
	queue_tidy(f->dir);
	assert_false(exists(f, "tmp/dead"));
	assert_true(exists(f, "tmp/live"));
	assert_false(exists(f, "0000000000000000.state"));
	assert_true(exists(f, id));
	close(live);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_dir),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock_excludes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_fail_drop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_end_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tidy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_collision, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_state_error_sanitised,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
