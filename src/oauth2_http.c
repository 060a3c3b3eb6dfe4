/*
 * oauth2_http.c - libcurl and json-c, loaded with dlopen (oauth2_http.h).
 *
 * The symbols are resolved into a table whose members have the real
 * prototypes (__typeof__ of the declarations in the libraries' own
 * headers), so every call is type-checked as if linked.
 */
#define CURL_DISABLE_TYPECHECK	/* curl_easy_setopt is a macro otherwise */

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>
#include <json-c/json_tokener.h>
#include <json-c/printbuf.h>

#include "config.h"
#include "oauth2_http.h"
#include "result.h"
#include "util.h"

#define CURL_SONAME	"libcurl.so.4"	/* Debian libcurl4: OpenSSL */
#define JSON_SONAME	"libjson-c.so.5"
#define JSON_DEPTH	8		/* token responses are flat */
#define CONNECT_MAX	30		/* seconds (DESIGN.md 4) */
#define USER_AGENT	"stamp/" STAMP_VERSION

static struct {
	void	*curl, *json;
	__typeof__(&curl_easy_init)		easy_init;
	__typeof__(&curl_easy_setopt)		setopt;
	__typeof__(&curl_easy_perform)		perform;
	__typeof__(&curl_easy_getinfo)		getinfo;
	__typeof__(&curl_easy_cleanup)		cleanup;
	__typeof__(&curl_easy_strerror)		strerror;
	__typeof__(&curl_easy_escape)		escape;
	__typeof__(&curl_easy_unescape)		unescape;
	__typeof__(&curl_free)			free;
	__typeof__(&curl_slist_append)		slist_append;
	__typeof__(&curl_slist_free_all)	slist_free;
	__typeof__(&json_tokener_new_ex)	tok_new;
	__typeof__(&json_tokener_parse_ex)	tok_parse;
	__typeof__(&json_tokener_get_error)	tok_error;
	__typeof__(&json_tokener_free)		tok_free;
	__typeof__(&json_tokener_get_parse_end)	tok_end;
	__typeof__(&json_object_object_get_ex)	get_ex;
	__typeof__(&json_object_is_type)	is_type;
	__typeof__(&json_object_get_string)	get_string;
	__typeof__(&json_object_get_string_len)	get_string_len;
	__typeof__(&json_object_get_int64)	get_int64;
	__typeof__(&json_object_put)		put;
	__typeof__(&json_object_get_type)	get_type;
	__typeof__(&json_object_array_length)	array_len;
	__typeof__(&json_object_array_get_idx)	array_idx;
	__typeof__(&json_object_iter_begin)	iter_begin;
	__typeof__(&json_object_iter_end)	iter_end;
	__typeof__(&json_object_iter_equal)	iter_equal;
	__typeof__(&json_object_iter_next)	iter_next;
	__typeof__(&json_object_iter_peek_value) iter_value;
} lib;

struct o2json {
	struct json_object	*obj;
};

/* The response body, capped. */
struct body {
	char	*buf;
	size_t	 len;
	int	 over;
};

#define SYM(h, field, name) { (h), #name, (void **)&lib.field }

static int
resolve(struct result *res)
{
	const struct {
		void		**h;
		const char	*name;
		void		**dst;
	} syms[] = {
		SYM(&lib.curl, easy_init, curl_easy_init),
		SYM(&lib.curl, setopt, curl_easy_setopt),
		SYM(&lib.curl, perform, curl_easy_perform),
		SYM(&lib.curl, getinfo, curl_easy_getinfo),
		SYM(&lib.curl, cleanup, curl_easy_cleanup),
		SYM(&lib.curl, strerror, curl_easy_strerror),
		SYM(&lib.curl, escape, curl_easy_escape),
		SYM(&lib.curl, unescape, curl_easy_unescape),
		SYM(&lib.curl, free, curl_free),
		SYM(&lib.curl, slist_append, curl_slist_append),
		SYM(&lib.curl, slist_free, curl_slist_free_all),
		SYM(&lib.json, tok_new, json_tokener_new_ex),
		SYM(&lib.json, tok_parse, json_tokener_parse_ex),
		SYM(&lib.json, tok_error, json_tokener_get_error),
		SYM(&lib.json, tok_free, json_tokener_free),
		SYM(&lib.json, tok_end, json_tokener_get_parse_end),
		SYM(&lib.json, get_ex, json_object_object_get_ex),
		SYM(&lib.json, is_type, json_object_is_type),
		SYM(&lib.json, get_string, json_object_get_string),
		SYM(&lib.json, get_string_len, json_object_get_string_len),
		SYM(&lib.json, get_int64, json_object_get_int64),
		SYM(&lib.json, get_type, json_object_get_type),
		SYM(&lib.json, array_len, json_object_array_length),
		SYM(&lib.json, array_idx, json_object_array_get_idx),
		SYM(&lib.json, iter_begin, json_object_iter_begin),
		SYM(&lib.json, iter_end, json_object_iter_end),
		SYM(&lib.json, iter_equal, json_object_iter_equal),
		SYM(&lib.json, iter_next, json_object_iter_next),
		SYM(&lib.json, iter_value, json_object_iter_peek_value),
		SYM(&lib.json, put, json_object_put),
	};
	size_t	 i;

	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if ((*syms[i].dst = dlsym(*syms[i].h, syms[i].name)) == NULL)
			return result_fail(res, EX_OSERR, "oauth2: %s: %s",
			    syms[i].name, dlerror());
	return 0;
}

int
o2_load(struct result *res)
{
	if (lib.put != NULL)
		return 0;
	if (lib.curl == NULL &&
	    (lib.curl = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return result_fail(res, EX_OSERR, "oauth2 needs libcurl "
		    "(Debian: libcurl4): %s", dlerror());
	if (lib.json == NULL &&
	    (lib.json = dlopen(JSON_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return result_fail(res, EX_OSERR, "oauth2 needs json-c "
		    "(Debian: libjson-c5): %s", dlerror());
	if (resolve(res) == -1) {
		lib.put = NULL;
		return -1;
	}
	return 0;
}

int
o2_form_add(char *form, size_t n, const char *name, const char *value,
    struct result *res)
{
	char	*esc;
	size_t	 len = strlen(form);
	int	 w;

	if ((esc = lib.escape(NULL, value, (int)strlen(value))) == NULL)
		return result_fail(res, EX_OSERR, "out of memory");
	w = snprintf(form + len, n - len, "%s%s=%s", len > 0 ? "&" : "",
	    name, esc);
	explicit_bzero(esc, strlen(esc));
	lib.free(esc);
	if (w < 0 || (size_t)w >= n - len) {
		form[len] = '\0';
		return result_fail(res, EX_SOFTWARE, "oauth2: request longer "
		    "than %zu bytes", n);
	}
	return 0;
}

int
o2_unescape(const char *s, size_t len, char *out, size_t n)
{
	char	*d;
	int	 dlen;

	if (n == 0 || len > INT_MAX)
		return -1;
	if (len == 0) {		/* libcurl would take 0 as "up to the NUL" */
		out[0] = '\0';
		return 0;
	}
	if ((d = lib.unescape(NULL, s, (int)len, &dlen)) == NULL)
		return -1;
	if ((size_t)dlen >= n || memchr(d, '\0', (size_t)dlen) != NULL) {
		lib.free(d);
		return -1;
	}
	memcpy(out, d, (size_t)dlen);
	out[dlen] = '\0';
	explicit_bzero(d, (size_t)dlen);
	lib.free(d);
	return 0;
}

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body	*b = arg;
	size_t		 n = size * nmemb;

	if (n > O2_RESPONSE_MAX - b->len) {
		b->over = 1;
		return 0;		/* CURLE_WRITE_ERROR */
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return n;
}

/* DESIGN.md 7 and the account's bounds; 0 or the first failing option. */
static CURLcode
setup(CURL *h, const struct account *a, const char *url, const char *form,
    struct curl_slist *hdrs, struct body *b)
{
	long	 connect = a->timeout < CONNECT_MAX ? a->timeout : CONNECT_MAX;
	CURLcode rc = CURLE_OK;

#define OPT(o, v) do { if (rc == CURLE_OK) rc = lib.setopt(h, o, v); } while (0)
	OPT(CURLOPT_URL, url);
	OPT(CURLOPT_PROTOCOLS_STR, "https");
	OPT(CURLOPT_FOLLOWLOCATION, 0L);
	OPT(CURLOPT_SSL_VERIFYPEER, 1L);
	OPT(CURLOPT_SSL_VERIFYHOST, 2L);
	OPT(CURLOPT_SSLVERSION, a->tls_min_version == 13 ?
	    (long)CURL_SSLVERSION_TLSv1_3 : (long)CURL_SSLVERSION_TLSv1_2);
	if (a->tls_trust_file != NULL) {
		OPT(CURLOPT_CAINFO, a->tls_trust_file);
		OPT(CURLOPT_CAPATH, (char *)NULL);
	}
	OPT(CURLOPT_TIMEOUT, (long)a->timeout);
	OPT(CURLOPT_CONNECTTIMEOUT, connect);
	OPT(CURLOPT_NOSIGNAL, 1L);
	OPT(CURLOPT_MAXFILESIZE, (long)O2_RESPONSE_MAX);
	OPT(CURLOPT_USERAGENT, USER_AGENT);
	OPT(CURLOPT_HTTPHEADER, hdrs);
	OPT(CURLOPT_POSTFIELDS, form);
	OPT(CURLOPT_WRITEFUNCTION, on_data);
	OPT(CURLOPT_WRITEDATA, b);
#undef OPT
	return rc;
}

/* A libcurl failure: the provider's side is temporary, ours is not. */
static int
curl_fail(CURLcode rc, const struct body *b, const char *what,
    const char *url, struct result *res)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return result_fail(res, EX_UNAVAILABLE, "oauth2: %s %s: %s",
		    what, url, lib.strerror(rc));
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (b->over || rc == CURLE_FILESIZE_EXCEEDED)
			return result_fail(res, EX_PROTOCOL, "oauth2: %s %s: "
			    "response larger than %d bytes", what, url,
			    O2_RESPONSE_MAX);
		break;
	case CURLE_OUT_OF_MEMORY:
		return result_fail(res, EX_OSERR, "out of memory");
	default:
		break;
	}
	return result_fail(res, EX_TEMPFAIL, "oauth2: %s %s: %s", what, url,
	    lib.strerror(rc));
}

/*
 * json-c builds every string in the tokener's printbuf before copying
 * it into its object: the last one (a token, perhaps) is still there
 * when the tokener is freed.  The struct is public, if deprecated.
 */
static void
tok_free(struct json_tokener *tok)
{
	if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
		explicit_bzero(tok->pb->buf, (size_t)tok->pb->size);
	lib.tok_free(tok);
}

int
o2_json_parse(const char *buf, size_t len, struct o2json **json)
{
	struct json_tokener	*tok;
	struct json_object	*obj;

	*json = NULL;
	if (len > O2_RESPONSE_MAX || (tok = lib.tok_new(JSON_DEPTH)) == NULL)
		return -1;
	obj = lib.tok_parse(tok, buf, (int)len);
	if (lib.tok_error(tok) != json_tokener_success || obj == NULL ||
	    !lib.is_type(obj, json_type_object) ||
	    lib.tok_end(tok) != len) {
		if (obj != NULL)
			lib.put(obj);
		tok_free(tok);
		return -1;
	}
	tok_free(tok);
	if ((*json = malloc(sizeof(**json))) == NULL) {
		lib.put(obj);
		return -1;
	}
	(*json)->obj = obj;
	return 0;
}

/* After the transfer: the status decides, then the body. */
static int
answer(CURL *h, const struct body *b, const char *what, const char *url,
    long *status, struct o2json **json, struct result *res)
{
	*status = 0;
	lib.getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (*status >= 500 || *status == 429)
		return result_fail(res, EX_TEMPFAIL, "oauth2: %s %s: HTTP %ld",
		    what, url, *status);
	if (o2_json_parse(b->buf, b->len, json) == -1)
		return result_fail(res, EX_PROTOCOL, "oauth2: %s %s: HTTP %ld "
		    "with a body that is not a JSON object", what, url,
		    *status);
	return 0;
}

int
o2_post(const struct account *a, const char *what, const char *url,
    const char *form, long *status, struct o2json **json,
    struct result *res)
{
	struct body		 b = { 0 };
	struct curl_slist	*hdrs = NULL, *h2;
	CURL			*h = NULL;
	CURLcode		 rc;
	int			 rv = -1;

	*json = NULL;
	if (o2_load(res) == -1)
		return -1;
	if ((b.buf = xmalloc(O2_RESPONSE_MAX, res)) == NULL)
		return -1;
	if ((h = lib.easy_init()) == NULL ||
	    (hdrs = lib.slist_append(NULL, "Accept: application/json")) ==
	    NULL || (h2 = lib.slist_append(hdrs, "Expect:")) == NULL) {
		result_fail(res, EX_OSERR, "oauth2: cannot set up libcurl");
		goto out;
	}
	hdrs = h2;
	if ((rc = setup(h, a, url, form, hdrs, &b)) != CURLE_OK) {
		result_fail(res, EX_SOFTWARE, "oauth2: libcurl: %s",
		    lib.strerror(rc));
		goto out;
	}
	if ((rc = lib.perform(h)) != CURLE_OK)
		curl_fail(rc, &b, what, url, res);
	else
		rv = answer(h, &b, what, url, status, json, res);
out:
	if (h != NULL)
		lib.cleanup(h);
	if (hdrs != NULL)
		lib.slist_free(hdrs);
	explicit_bzero(b.buf, O2_RESPONSE_MAX);
	free(b.buf);
	return rv;
}

const char *
o2_json_str(const struct o2json *j, const char *name)
{
	struct json_object	*v;

	if (j == NULL || !lib.get_ex(j->obj, name, &v) ||
	    !lib.is_type(v, json_type_string))
		return NULL;
	return lib.get_string(v);
}

long
o2_json_int(const struct o2json *j, const char *name, long dflt)
{
	struct json_object	*v;
	const char		*s;
	char			*end;
	long			 n;

	if (j == NULL || !lib.get_ex(j->obj, name, &v))
		return dflt;
	if (lib.is_type(v, json_type_int))
		return (long)lib.get_int64(v);
	/* Some providers send "expires_in": "3599". */
	if (!lib.is_type(v, json_type_string) ||
	    (s = lib.get_string(v)) == NULL || *s < '0' || *s > '9')
		return dflt;
	errno = 0;
	n = strtol(s, &end, 10);
	return *end == '\0' && errno == 0 ? n : dflt;	/* ERANGE */
}

/* Every string in v and below it (at most JSON_DEPTH levels). */
static void
wipe_strings(struct json_object *v)
{
	struct json_object_iterator	 it, end;
	size_t				 i, n;
	int				 len;

	switch (lib.get_type(v)) {
	case json_type_string:
		if ((len = lib.get_string_len(v)) > 0)
			explicit_bzero((char *)(uintptr_t)lib.get_string(v),
			    (size_t)len);
		break;
	case json_type_array:
		n = lib.array_len(v);
		for (i = 0; i < n; i++)
			wipe_strings(lib.array_idx(v, i));
		break;
	case json_type_object:
		it = lib.iter_begin(v);
		end = lib.iter_end(v);
		for (; !lib.iter_equal(&it, &end); lib.iter_next(&it))
			wipe_strings(lib.iter_value(&it));
		break;
	default:
		break;
	}
}

/*
 * Not only the tokens: a provider may echo one anywhere (an
 * error_description quoting the refresh token it refuses).
 */
void
o2_json_wipe(struct o2json *j)
{
	if (j != NULL)
		wipe_strings(j->obj);
}

void
o2_json_free(struct o2json *j)
{
	if (j == NULL)
		return;
	wipe_strings(j->obj);
	lib.put(j->obj);
	free(j);
}
