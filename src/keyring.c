/*
 * keyring.c - the Secret Service through libsecret, loaded on demand
 * (keyring.h).
 *
 * stamp is not linked with libsecret or GLib: keyring_load() dlopen()s
 * libsecret-1.so.0 the first time the keyring is asked, and resolves the
 * few functions used here into sym, each field declared with the type of
 * the real prototype (from the headers, pkg-config --cflags), so every
 * call is still type-checked.  Calls go through K(name)(...): the
 * parentheses also keep GLib's function-like macros (g_object_ref) from
 * expanding to a direct reference.  The library is never unloaded (GLib
 * cannot be).
 *
 * libsecret's copy of a secret (a SecretValue in its "secure memory"
 * allocator) is dropped with secret_value_unref() as soon as it has been
 * copied into the caller's locked buffer.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libsecret/secret.h>

#include "keyring.h"
#include "result.h"
#include "secret.h"
#include "util.h"

#define SS_GRACE_MS	1000	/* for a cancelled call to return */
#define WHAT_MAX	512	/* the attributes, for messages */

const char *keyring_soname = KEYRING_SONAME;

/* Every function used here, by name: the X-macro makes the table. */
#define KEYRING_SYMS \
	X(g_cancellable_cancel) X(g_cancellable_new) X(g_clear_error) \
	X(g_dbus_error_quark) X(g_dbus_error_strip_remote_error) \
	X(g_error_matches) X(g_free) X(g_hash_table_insert) \
	X(g_hash_table_new) X(g_hash_table_unref) X(g_io_error_quark) \
	X(g_list_free_full) X(g_main_context_iteration) X(g_object_ref) \
	X(g_object_unref) X(g_source_attach) X(g_source_destroy) \
	X(g_source_set_callback) X(g_source_unref) X(g_str_equal) \
	X(g_str_hash) X(g_timeout_source_new) \
	X(secret_collection_for_alias) X(secret_collection_for_alias_finish) \
	X(secret_collection_get_locked) X(secret_item_delete) \
	X(secret_item_delete_finish) X(secret_item_get_locked) \
	X(secret_item_get_schema_name) X(secret_item_get_secret) \
	X(secret_service_get) X(secret_service_get_finish) \
	X(secret_service_search) X(secret_service_search_finish) \
	X(secret_service_store) X(secret_service_store_finish) \
	X(secret_value_get) X(secret_value_new) X(secret_value_unref)

static struct keyring_syms {
#define X(f)	__typeof__(f) *f;
	KEYRING_SYMS
#undef X
} sym;

static const struct {
	const char	*name;
	size_t		 off;
} symtab[] = {
#define X(f)	{ #f, offsetof(struct keyring_syms, f) },
	KEYRING_SYMS
#undef X
};

#define K(f)	(*sym.f)

_Static_assert(sizeof(void *) == sizeof(sym.g_free),
    "dlsym() results must fit function pointers");

/* An item's attributes and the schema it is stored under. */
struct query {
	SecretSchema	 schema;
	GHashTable	*attrs;		/* without xdg:schema */
};

/*
 * The Secret Service, through libsecret's asynchronous calls on our own
 * main loop: each call gets a deadline and is cancelled past it, so a
 * session bus that accepts but never answers cannot hang stamp.  Never
 * SECRET_SEARCH_UNLOCK: an unlock prompt nobody sees (cron, ssh) must
 * not stall us; a locked item is reported as such.
 */
struct sscall {
	GCancellable	*cancel;
	GAsyncResult	*ar;		/* the call's result, once done */
	GSource		*timer;		/* the deadline */
	GSource		*grace;		/* after it, for the cancellation */
	int		 timedout;	/* cancelled at the deadline */
	int		 abandoned;	/* cancelled, and still no answer */
};

/* dlopen() once; 0, or -1 with EX_CONFIG naming the library. */
static int
keyring_load(const struct keyring_ctx *k, struct result *res)
{
	static int	 loaded;
	void		*h, *p;
	size_t		 i;

	if (loaded)
		return 0;
	if ((h = dlopen(keyring_soname, RTLD_NOW | RTLD_LOCAL |
	    RTLD_NODELETE)) == NULL)
		return result_fail(res, EX_CONFIG, "the Secret Service library "
		    "%s is not installed: %s%s", keyring_soname, dlerror(),
		    k->hint);
	for (i = 0; i < sizeof(symtab) / sizeof(symtab[0]); i++) {
		if ((p = dlsym(h, symtab[i].name)) == NULL)
			return result_fail(res, EX_CONFIG, "the Secret Service "
			    "library %s lacks %s (too old?)%s", keyring_soname,
			    symtab[i].name, k->hint);
		memcpy((char *)&sym + symtab[i].off, &p, sizeof(p));
	}
	loaded = 1;
	return 0;
}

static void
sscall_done(GObject *src, GAsyncResult *ar, gpointer p)
{
	struct sscall	*c = p;

	(void)src;
	c->ar = K(g_object_ref)(ar);
}

static gboolean
sscall_abandon(gpointer p)
{
	struct sscall	*c = p;

	c->abandoned = 1;
	return G_SOURCE_REMOVE;
}

/* At the deadline: cancel, then give the call SS_GRACE_MS to return. */
static gboolean
sscall_timer(gpointer p)
{
	struct sscall	*c = p;

	c->timedout = 1;
	K(g_cancellable_cancel)(c->cancel);
	c->grace = K(g_timeout_source_new)(SS_GRACE_MS);
	K(g_source_set_callback)(c->grace, sscall_abandon, c, NULL);
	K(g_source_attach)(c->grace, NULL);
	return G_SOURCE_REMOVE;
}

/* A call context that expires after k->wait_s; NULL if out of memory. */
static struct sscall *
sscall_new(const struct keyring_ctx *k, struct result *res)
{
	struct sscall	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		result_fail(res, EX_OSERR, "out of memory");
		return NULL;
	}
	c->cancel = K(g_cancellable_new)();
	c->timer = K(g_timeout_source_new)((guint)k->wait_s * 1000);
	K(g_source_set_callback)(c->timer, sscall_timer, c, NULL);
	K(g_source_attach)(c->timer, NULL);
	return c;
}

/*
 * Wait for the call to end.  Its result, or NULL when it was abandoned:
 * then c is leaked on purpose (a late callback may still write to it).
 */
static GAsyncResult *
sscall_wait(struct sscall *c)
{
	while (c->ar == NULL && !c->abandoned)
		K(g_main_context_iteration)(NULL, TRUE);
	K(g_source_destroy)(c->timer);
	if (c->grace != NULL)
		K(g_source_destroy)(c->grace);
	return c->ar;
}

static void
sscall_free(struct sscall *c)
{
	if (c == NULL || c->ar == NULL)
		return;			/* abandoned: see sscall_wait */
	K(g_source_unref)(c->timer);
	if (c->grace != NULL)
		K(g_source_unref)(c->grace);
	K(g_object_unref)(c->cancel);
	K(g_object_unref)(c->ar);
	free(c);
}

/* What to do about it, after each kind of "not reachable". */
static int
unreachable(const struct keyring_ctx *k, struct result *res, const char *why,
    const char *detail)
{
	return result_fail(res, EX_CONFIG, "Secret Service not reachable: "
	    "%s%s%s%s%s", why, detail[0] != '\0' ? " (" : "", detail,
	    detail[0] != '\0' ? ")" : "", k->hint);
}

/*
 * A failed call: say which of the cases it is.  e may be NULL after a
 * timeout.  GLib's words go in parentheses, without its D-Bus prefix.
 */
static int
service_error(const struct keyring_ctx *k, GError *e, int timedout,
    struct result *res)
{
	const char	*bus = getenv("DBUS_SESSION_BUS_ADDRESS");
	char		 why[96];

	if (e != NULL)
		K(g_dbus_error_strip_remote_error)(e);
	if (bus == NULL || bus[0] == '\0')
		return unreachable(k, res, "no D-Bus session bus "
		    "(DBUS_SESSION_BUS_ADDRESS is not set, as under cron or "
		    "ssh)", "");
	if (timedout || e == NULL) {
		snprintf(why, sizeof(why), "no answer on the D-Bus session "
		    "bus within %d s", k->wait_s);
		return unreachable(k, res, why, "");
	}
	if (K(g_error_matches)(e, K(g_dbus_error_quark)(),
	    G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    K(g_error_matches)(e, K(g_dbus_error_quark)(),
	    G_DBUS_ERROR_NAME_HAS_NO_OWNER))
		return unreachable(k, res, "nothing on the D-Bus session bus "
		    "provides it (no gnome-keyring-daemon, KeePassXC, ...)",
		    e->message);
	if (e->domain == K(g_io_error_quark)())
		return unreachable(k, res, "cannot connect to the D-Bus "
		    "session bus", e->message);
	return result_fail(res, EX_CONFIG, "Secret Service error: %s",
	    e->message);
}

static SecretService *
service_get(const struct keyring_ctx *k, struct result *res)
{
	struct sscall	*c;
	SecretService	*svc = NULL;
	GError		*e = NULL;

	if (keyring_load(k, res) == -1 || (c = sscall_new(k, res)) == NULL)
		return NULL;
	K(secret_service_get)(SECRET_SERVICE_NONE, c->cancel, sscall_done, c);
	if (sscall_wait(c) != NULL)
		svc = K(secret_service_get_finish)(c->ar, &e);
	if (svc == NULL)
		service_error(k, e, c->timedout, res);
	K(g_clear_error)(&e);
	sscall_free(c);
	return svc;
}

/*
 * The schema and the attributes from attrs (name, value, ..., NULL).
 * The strings stay attrs'.  0, or -1 with EX_SOFTWARE (a caller's bug).
 */
static int
query_make(const char *const *attrs, struct query *q, struct result *res)
{
	size_t	 i, n = 0;

	memset(q, 0, sizeof(*q));	/* q->attrs NULL: query_free is safe */
	q->schema.name = KEYRING_SCHEMA;
	/* Match the attributes only, whatever the schema (secret-tool). */
	q->schema.flags = SECRET_SCHEMA_DONT_MATCH_NAME;
	for (i = 0; attrs[i] != NULL; i += 2) {
		if (attrs[i + 1] == NULL)
			return result_fail(res, EX_SOFTWARE, "keyring attribute "
			    "%s has no value", attrs[i]);
		if (strcmp(attrs[i], "xdg:schema") == 0) {
			q->schema.name = attrs[i + 1];
			continue;
		}
		if (n == KEYRING_ATTRS_MAX)
			return result_fail(res, EX_SOFTWARE, "more than %d "
			    "keyring attributes", KEYRING_ATTRS_MAX);
		q->schema.attributes[n].name = attrs[i];
		q->schema.attributes[n].type = SECRET_SCHEMA_ATTRIBUTE_STRING;
		n++;
	}
	if (n == 0)
		return result_fail(res, EX_SOFTWARE, "no keyring attributes");
	q->attrs = K(g_hash_table_new)(K(g_str_hash), K(g_str_equal));
	for (i = 0; attrs[i] != NULL; i += 2)
		if (strcmp(attrs[i], "xdg:schema") != 0)
			K(g_hash_table_insert)(q->attrs,
			    (gpointer)(uintptr_t)attrs[i],
			    (gpointer)(uintptr_t)attrs[i + 1]);
	return 0;
}

static void
query_free(struct query *q)
{
	if (q->attrs != NULL)
		K(g_hash_table_unref)(q->attrs);
	q->attrs = NULL;
}

/*
 * Every matching item, locked or not (secrets loaded for the unlocked
 * ones when load).  0 with *items (maybe NULL: none), or -1.
 */
static int
search(SecretService *svc, const struct query *q, int load, GList **items,
    const struct keyring_ctx *k, struct result *res)
{
	struct sscall	*c;
	GError		*e = NULL;
	int		 rv = 0;

	*items = NULL;
	if ((c = sscall_new(k, res)) == NULL)
		return -1;
	K(secret_service_search)(svc, &q->schema, q->attrs, SECRET_SEARCH_ALL |
	    (load ? SECRET_SEARCH_LOAD_SECRETS : 0), c->cancel, sscall_done,
	    c);
	if (sscall_wait(c) != NULL)
		*items = K(secret_service_search_finish)(svc, c->ar, &e);
	if (c->ar == NULL || e != NULL)
		rv = service_error(k, e, c->timedout, res);
	K(g_clear_error)(&e);
	sscall_free(c);
	return rv;
}

static void
items_free(GList *items)
{
	if (items != NULL)
		K(g_list_free_full)(items, K(g_object_unref));
}

static int
locked(const struct keyring_ctx *k, struct result *res)
{
	return result_fail(res, EX_CONFIG, "the Secret Service keyring that "
	    "holds %s for %s is locked, and stamp does not prompt to unlock "
	    "it; unlock it (a desktop login does) and try again", k->kind,
	    k->what);
}

/*
 * secret.h promises libsecret's copies wiped, whatever memory it chose
 * for them: the search loaded the secret of every unlocked match, not
 * only of the one we take.
 */
static void
wipe_values(GList *items)
{
	SecretValue	*v;
	const gchar	*val;
	gsize		 len;
	GList		*i;

	for (i = items; i != NULL; i = i->next) {
		if ((v = K(secret_item_get_secret)(i->data)) == NULL)
			continue;
		val = K(secret_value_get)(v, &len);
		explicit_bzero((char *)(uintptr_t)val, len);
		K(secret_value_unref)(v);
	}
}

/* The first unlocked item's secret (1); else 0 (none) or -1 (locked). */
static int
take_secret(GList *items, struct secret *s, const struct keyring_ctx *k,
    struct result *res)
{
	SecretValue	*v;
	const gchar	*val;
	gsize		 len;
	GList		*i;
	int		 rv = 1;

	for (i = items; i != NULL; i = i->next) {
		if (K(secret_item_get_locked)(i->data) ||
		    (v = K(secret_item_get_secret)(i->data)) == NULL)
			continue;
		val = K(secret_value_get)(v, &len);
		if (memchr(val, '\0', len) != NULL)
			rv = result_fail(res, EX_CONFIG, "the Secret Service "
			    "entry for %s holds a NUL byte", k->what);
		else if (len > SECRET_MAX)
			rv = result_fail(res, EX_CONFIG, "the Secret Service "
			    "entry for %s is longer than %d bytes", k->what,
			    SECRET_MAX);
		else if (secret_alloc(s, res) == -1)
			rv = -1;
		else {
			memcpy(s->buf, val, len);
			s->buf[len] = '\0';
			s->len = len;
			s->source = "libsecret";
		}
		K(secret_value_unref)(v);
		wipe_values(items);
		return rv;
	}
	return items != NULL ? locked(k, res) : 0;
}

int
keyring_lookup(const char *const *attrs, struct secret *s,
    const struct keyring_ctx *k, struct result *res)
{
	SecretService	*svc;
	struct query	 q;
	GList		*items;
	int		 rv = -1;

	memset(s, 0, sizeof(*s));
	q.attrs = NULL;
	if (keyring_load(k, res) == -1 || query_make(attrs, &q, res) == -1 ||
	    (svc = service_get(k, res)) == NULL) {
		query_free(&q);
		return -1;
	}
	if (search(svc, &q, 1, &items, k, res) == 0) {
		rv = take_secret(items, s, k, res);
		items_free(items);
	}
	query_free(&q);
	K(g_object_unref)(svc);
	return rv;
}

static int
check_unlocked(GList *items, const struct keyring_ctx *k, struct result *res)
{
	GList	*i;

	for (i = items; i != NULL; i = i->next)
		if (K(secret_item_get_locked)(i->data))
			return locked(k, res);
	return 0;
}

/* The default collection, unlocked: where a new item goes. */
static int
check_default(SecretService *svc, const struct keyring_ctx *k,
    struct result *res)
{
	struct sscall	*c;
	SecretCollection *col = NULL;
	GError		*e = NULL;
	int		 rv = -1;

	if ((c = sscall_new(k, res)) == NULL)
		return -1;
	K(secret_collection_for_alias)(svc, SECRET_COLLECTION_DEFAULT,
	    SECRET_COLLECTION_NONE, c->cancel, sscall_done, c);
	if (sscall_wait(c) != NULL)
		col = K(secret_collection_for_alias_finish)(c->ar, &e);
	if (c->ar == NULL || e != NULL)
		service_error(k, e, c->timedout, res);
	else if (col == NULL)
		result_fail(res, EX_CONFIG, "the Secret Service has no default "
		    "keyring to store %s in; create one (e.g. with seahorse or "
		    "secret-tool) and try again", k->kind);
	else if (K(secret_collection_get_locked)(col))
		result_fail(res, EX_CONFIG, "the Secret Service's default "
		    "keyring is locked, and stamp does not prompt to unlock it; "
		    "unlock it (a desktop login does) and try again");
	else
		rv = 0;
	K(g_clear_error)(&e);
	if (col != NULL)
		K(g_object_unref)(col);
	sscall_free(c);
	return rv;
}

static int
item_delete(SecretItem *item, const struct keyring_ctx *k,
    struct result *res)
{
	struct sscall	*c;
	GError		*e = NULL;
	int		 rv = 0;

	if ((c = sscall_new(k, res)) == NULL)
		return -1;
	K(secret_item_delete)(item, c->cancel, sscall_done, c);
	if (sscall_wait(c) == NULL || !K(secret_item_delete_finish)(item,
	    c->ar, &e))
		rv = service_error(k, e, c->timedout, res);
	K(g_clear_error)(&e);
	sscall_free(c);
	return rv;
}

/* Is the item stored under the query's schema name? */
static int
is_ours(SecretItem *item, const struct query *q)
{
	gchar	*name = K(secret_item_get_schema_name)(item);
	int	 ours = name != NULL && strcmp(name, q->schema.name) == 0;

	K(g_free)(name);
	return ours;
}

/* Delete the items (all, or all but ours); *n counts them. */
static int
delete_items(GList *items, const struct query *keep, int *n,
    const struct keyring_ctx *k, struct result *res)
{
	GList	*i;

	for (i = items; i != NULL; i = i->next) {
		if (keep != NULL && is_ours(i->data, keep))
			continue;
		if (item_delete(i->data, k, res) == -1)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
store_value(SecretService *svc, const struct query *q, const char *label,
    const char *value, size_t len, const struct keyring_ctx *k,
    struct result *res)
{
	struct sscall	*c;
	SecretValue	*v;
	GError		*e = NULL;
	int		 rv = 0;

	if ((c = sscall_new(k, res)) == NULL)
		return -1;
	v = K(secret_value_new)(value, (gssize)len, "text/plain");
	K(secret_service_store)(svc, &q->schema, q->attrs,
	    SECRET_COLLECTION_DEFAULT, label, v, c->cancel, sscall_done, c);
	if (sscall_wait(c) == NULL || !K(secret_service_store_finish)(svc,
	    c->ar, &e))
		rv = service_error(k, e, c->timedout, res);
	K(g_clear_error)(&e);
	K(secret_value_unref)(v);
	sscall_free(c);
	return rv;
}

/* The service and the current items, none locked; 0 or -1. */
static int
prepare(const char *const *attrs, SecretService **svc, struct query *q,
    GList **items, const struct keyring_ctx *k, struct result *res)
{
	*items = NULL;
	*svc = NULL;
	q->attrs = NULL;
	if (keyring_load(k, res) == -1 || query_make(attrs, q, res) == -1 ||
	    (*svc = service_get(k, res)) == NULL ||
	    search(*svc, q, 0, items, k, res) == -1 ||
	    check_unlocked(*items, k, res) == -1)
		return -1;
	return 0;
}

static void
finish(SecretService *svc, struct query *q, GList *items)
{
	items_free(items);
	query_free(q);
	if (svc != NULL)
		K(g_object_unref)(svc);
}

int
keyring_ready(const char *const *attrs, const struct keyring_ctx *k,
    struct result *res)
{
	SecretService	*svc;
	struct query	 q;
	GList		*items;
	int		 rv = -1;

	if (prepare(attrs, &svc, &q, &items, k, res) == 0 &&
	    check_default(svc, k, res) == 0)
		rv = 0;
	finish(svc, &q, items);
	return rv;
}

int
keyring_store(const char *const *attrs, const char *label, const char *value,
    size_t len, const struct keyring_ctx *k, struct result *res)
{
	SecretService	*svc;
	struct query	 q;
	GList		*items;
	int		 n = 0, rv = -1;

	if (len > SECRET_MAX)	/* a lookup could not return it */
		return result_fail(res, EX_DATAERR, "%s for %s is longer than "
		    "%d bytes", k->kind, k->what, SECRET_MAX);
	if (prepare(attrs, &svc, &q, &items, k, res) == -1 ||
	    check_default(svc, k, res) == -1 ||
	    store_value(svc, &q, label, value, len, k, res) == -1)
		goto out;
	/* Store replaces an item of our schema with the same attributes;
	 * one made by secret-tool (another schema) would be a second entry
	 * that a lookup might pick instead.  Ours is the one. */
	items_free(items);
	if (search(svc, &q, 0, &items, k, res) == 0 &&
	    delete_items(items, &q, &n, k, res) == 0)
		rv = 0;
out:
	finish(svc, &q, items);
	return rv;
}

int
keyring_clear(const char *const *attrs, const struct keyring_ctx *k,
    struct result *res)
{
	SecretService	*svc;
	struct query	 q;
	GList		*items;
	int		 n = 0, rv = -1;

	if (prepare(attrs, &svc, &q, &items, k, res) == 0 &&
	    delete_items(items, NULL, &n, k, res) == 0)
		rv = n;
	finish(svc, &q, items);
	return rv;
}

/* The generic words: the item named by its attributes. */
static void
generic_ctx(const char *const *attrs, int timeout_s, char *what, size_t n,
    struct keyring_ctx *k)
{
	size_t	 i, off = 0;
	int	 w;

	what[0] = '\0';
	for (i = 0; attrs[i] != NULL && attrs[i + 1] != NULL; i += 2) {
		if (strcmp(attrs[i], "xdg:schema") == 0)
			continue;
		w = snprintf(what + off, n - off, "%s%s=%s",
		    off > 0 ? " " : "", attrs[i], attrs[i + 1]);
		if (w < 0 || (size_t)w >= n - off)
			break;
		off += (size_t)w;
	}
	k->kind = "the item";
	k->what = what;
	k->hint = "; run stamp inside a session with a D-Bus session bus";
	k->wait_s = timeout_s > 0 && timeout_s < KEYRING_WAIT_MAX ? timeout_s :
	    KEYRING_WAIT_MAX;
}

int
secret_item_lookup(const char *const *attrs, struct secret *out,
    int timeout_s, struct result *res)
{
	struct keyring_ctx k;
	char		 what[WHAT_MAX];

	generic_ctx(attrs, timeout_s, what, sizeof(what), &k);
	return keyring_lookup(attrs, out, &k, res);
}

int
secret_item_store(const char *const *attrs, const char *label,
    const char *value, size_t len, int timeout_s, struct result *res)
{
	struct keyring_ctx k;
	char		 what[WHAT_MAX];

	generic_ctx(attrs, timeout_s, what, sizeof(what), &k);
	return keyring_store(attrs, label, value, len, &k, res);
}

int
secret_item_clear(const char *const *attrs, int timeout_s,
    struct result *res)
{
	struct keyring_ctx k;
	char		 what[WHAT_MAX];

	generic_ctx(attrs, timeout_s, what, sizeof(what), &k);
	return keyring_clear(attrs, &k, res);
}
