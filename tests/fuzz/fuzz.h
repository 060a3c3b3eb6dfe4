/*
 * fuzz.h - what every libFuzzer target in tests/fuzz/ shares: the entry
 * points, a check that aborts (so libFuzzer saves the input), a file
 * for the modules that read a path (config, aliases), and a strict
 * base64 decoder for the outputs that must be base64.
 *
 * Targets call the modules as stamp does and then check properties that
 * the headers promise; any sanitizer report, leak or failed check is a
 * finding.  See tests/fuzz/README.
 */
#ifndef STAMP_FUZZ_H
#define STAMP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A property the module's header promises does not hold: a finding. */
static inline void
fuzz_check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz: property violated: %s\n", what);
	abort();
}

/* n bytes on the heap, exactly, so that ASan sees any overread. */
static inline char *
fuzz_dup(const void *p, size_t n)
{
	char	*s = malloc(n > 0 ? n : 1);

	fuzz_check(s != NULL, "out of memory");
	memcpy(s, p, n);
	return s;
}

/* The same, NUL-terminated (n + 1 bytes). */
static inline char *
fuzz_strndup(const void *p, size_t n)
{
	char	*s = malloc(n + 1);

	fuzz_check(s != NULL, "out of memory");
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * A file that only this process sees (memfd, mode 0600 like a config
 * with a password must be), opened by path as /proc/self/fd/N.  Made
 * once; fuzz_file_set replaces its contents for each input.
 */
struct fuzz_file {
	int	 fd;
	char	 path[64];
};

static inline void
fuzz_file_set(struct fuzz_file *f, const uint8_t *data, size_t size)
{
	size_t	 off = 0;
	ssize_t	 n;

	if (f->path[0] == '\0') {
		f->fd = memfd_create("stamp-fuzz", MFD_CLOEXEC);
		fuzz_check(f->fd != -1, "memfd_create");
		fuzz_check(fchmod(f->fd, 0600) == 0, "fchmod memfd");
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	}
	fuzz_check(ftruncate(f->fd, 0) == 0, "ftruncate memfd");
	while (off < size) {
		n = pwrite(f->fd, data + off, size - off, (off_t)off);
		fuzz_check(n > 0, "pwrite memfd");
		off += (size_t)n;
	}
}

/* A base64 digit's value (RFC 4648 4), or -1. */
static inline int
fuzz_b64_val(char c)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(set, c) : NULL;

	return p != NULL ? (int)(p - set) : -1;
}

/*
 * Strict base64 (RFC 4648 4, padded) of s (n bytes) back to bytes in
 * out (3 n / 4 bytes); their length, or -1 if malformed.
 */
static inline ssize_t
fuzz_b64_decode(const char *s, size_t n, char *out)
{
	size_t	 i, o = 0;
	int	 v[4], k, pad;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && k >= 2 && i + 4 == n) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 ||
			    (v[k] = fuzz_b64_val(s[i + k])) < 0)
				return -1;
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (char)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (char)(v[2] << 6 | v[3]);
	}
	return (ssize_t)o;
}

#endif
