/* SPDX-License-Identifier: ISC */
/*
 * geoip - lookups in one MaxMind DB file through libmaxminddb.
 *
 * MMDB_open() checks the metadata but trusts the search tree, and a
 * damaged tree only shows up when a lookup walks through it.  So open
 * reads every node once (about 10 ms per million nodes, most of it
 * faulting the pages in, which lookups want anyway): each record must
 * name a node, the empty record, or a place inside the data section.
 * The first data records met on the way are decoded in full and must
 * hold the key the kind of database needs, which also tells an ASN
 * file given as the country database from the right one.
 *
 * Lookups build a sockaddr from the pd_addr and walk the tree; nothing
 * is formatted or allocated.  libmaxminddb finds IPv4 addresses in an
 * IPv6 tree under ::/96, where the writers put them.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <maxminddb.h>

#include "addr.h"
#include "err.h"
#include "geoip.h"

/* The data records decoded at open, to check the layout. */
#define SAMPLE_MAX	    16
/* The format puts 16 zero bytes between the search tree and the data. */
#define SEPARATOR_LEN	    16
/* "\xab\xcd\xefMaxMind.com" ends the data section, before the metadata. */
#define METADATA_MARKER_LEN 14

struct pd_geoip {
	MMDB_s		   db;
	enum pd_geoip_kind kind;
	char		   name[65];  /* database_type, printable */
	char		   type[128]; /* name and build date */
	char		  *path;      /* owned */
};

struct sample {
	uint32_t off[SAMPLE_MAX]; /* data section offsets */
	size_t	 n;
};

static const char *const country_path[] = { "country", "iso_code", NULL };
static const char *const registered_path[] = { "registered_country", "iso_code",
	NULL };
static const char *const asn_path[] = { "autonomous_system_number", NULL };

const char *
pd_geoip_kind_name(enum pd_geoip_kind kind)
{
	return kind == PD_GEOIP_ASN ? "asn" : "country";
}

/* open_error - say why MMDB_open() refused path */
static int
open_error(const char *path, int rc, int saved_errno, struct pd_err *err)
{
	switch (rc) {
	case MMDB_FILE_OPEN_ERROR:
	case MMDB_IO_ERROR:
		return pd_err_set(err, "%s: %s", path,
		    saved_errno != 0 ? strerror(saved_errno) :
				       MMDB_strerror(rc));
	case MMDB_INVALID_METADATA_ERROR:
		/* The metadata sits at the end: a cut file has none. */
		return pd_err_set(err,
		    "%s: not a MaxMind DB file, or "
		    "truncated (no valid metadata)",
		    path);
	case MMDB_INVALID_DATA_ERROR:
		/* MMDB_open() decodes only the metadata. */
		return pd_err_set(err,
		    "%s: corrupt or truncated MaxMind DB "
		    "file: bad metadata",
		    path);
	case MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
		return pd_err_set(err, "%s: unsupported MaxMind DB format",
		    path);
	case MMDB_OUT_OF_MEMORY_ERROR:
		return pd_err_set(err, "%s: out of memory", path);
	default:
		return pd_err_set(err, "%s: corrupt MaxMind DB file: %s", path,
		    MMDB_strerror(rc));
	}
}

/* geoip_check_file - refuse what is not a non-empty regular file, clearly */
static int
geoip_check_file(const char *path, struct pd_err *err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return pd_err_set(err, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pd_err_set(err, "%s: not a regular file", path);
	if (st.st_size == 0)
		return pd_err_set(err, "%s: empty file", path);
	return 0;
}

/*
 * check_layout - the sizes in the metadata must add up to the file.
 * MMDB_open() computes the tree size in 32 bits, which a damaged
 * node_count can wrap around.
 */
static int
check_layout(const struct pd_geoip *g, const char *path, struct pd_err *err)
{
	const MMDB_s *db = &g->db;
	uint64_t      tree;

	tree = (uint64_t)db->metadata.node_count * db->full_record_byte_size;
	if (tree + SEPARATOR_LEN > (uint64_t)db->file_size ||
	    db->data_section != db->file_content + tree + SEPARATOR_LEN ||
	    db->metadata_section < db->data_section + METADATA_MARKER_LEN)
		return pd_err_set(err,
		    "%s: corrupt MaxMind DB file: "
		    "node count %" PRIu32 " does not fit the file size %zd",
		    path, db->metadata.node_count, (ssize_t)db->file_size);
	for (size_t i = 0; i < SEPARATOR_LEN; i++)
		if (db->file_content[tree + i] != 0)
			return pd_err_set(err,
			    "%s: corrupt MaxMind DB file: "
			    "no data section separator after the search tree",
			    path);
	return 0;
}

/*
 * record_bad - 0 if rec names a node other than the root (a way back
 * up would be a loop), the empty record, or a place in the data.  No
 * branches: records come in no order the CPU could predict, and the
 * open reads millions of them.
 */
static inline int
record_bad(uint32_t rec, uint32_t nodes, uint32_t data_len)
{
	/* Below the data this wraps around to far beyond data_len. */
	uint64_t off = (uint64_t)rec - nodes - SEPARATOR_LEN;

	return !(((rec != 0) & (rec <= nodes)) | (off < data_len));
}

static void
sample_add(struct sample *s, uint32_t off)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->off[i] == off)
			return;
	if (s->n < SAMPLE_MAX)
		s->off[s->n++] = off;
}

/*
 * node_read - the two records of the node at p, as the format spec lays
 * them out: 24-bit records take 3 bytes each, 28-bit ones share the
 * middle byte (high nibble left), 32-bit ones take 4 bytes each.  Done
 * here because MMDB_read_node() also classifies every record, which
 * makes the whole scan take more than twice as long.
 */
static inline void
node_read(const uint8_t *p, int record_size, uint32_t rec[2])
{
	switch (record_size) {
	case 24:
		rec[0] = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		rec[1] = (uint32_t)p[3] << 16 | (uint32_t)p[4] << 8 | p[5];
		break;
	case 28:
		rec[0] = (uint32_t)(p[3] & 0xf0) << 20 | (uint32_t)p[0] << 16 |
		    (uint32_t)p[1] << 8 | p[2];
		rec[1] = (uint32_t)(p[3] & 0x0f) << 24 | (uint32_t)p[4] << 16 |
		    (uint32_t)p[5] << 8 | p[6];
		break;
	default:
		rec[0] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		rec[1] = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
		    (uint32_t)p[6] << 8 | p[7];
		break;
	}
}

/* check_tree - read every node; collect the first data records */
static int
check_tree(const struct pd_geoip *g, const char *path, struct sample *s,
    struct pd_err *err)
{
	const MMDB_s  *db = &g->db;
	const uint8_t *p = db->file_content;
	uint32_t       nodes = db->metadata.node_count, data_len, rec[2];
	int	       size = db->metadata.record_size;

	/* Records point into the data, never into the metadata after it. */
	data_len = (uint32_t)(db->metadata_section - METADATA_MARKER_LEN -
	    db->data_section);
	for (uint32_t n = 0; n < nodes; n++, p += db->full_record_byte_size) {
		node_read(p, size, rec);
		if (record_bad(rec[0], nodes, data_len) |
		    record_bad(rec[1], nodes, data_len))
			return pd_err_set(err,
			    "%s: corrupt MaxMind DB file: "
			    "search tree node %" PRIu32 " has a record that "
			    "points nowhere",
			    path, n);
		if (s->n == SAMPLE_MAX)
			continue;
		for (int i = 0; i < 2; i++)
			if (rec[i] > nodes)
				sample_add(s, rec[i] - nodes - SEPARATOR_LEN);
	}
	if (s->n == 0)
		return pd_err_set(err, "%s: the database lists no networks",
		    path);
	return 0;
}

/*
 * check_kind - decode the sampled records in full; at least one must
 * have the data kind needs.  GeoLite2-Country has records with only a
 * continent, so one miss proves nothing.
 */
static int
check_kind(struct pd_geoip *g, const char *path, const struct sample *s,
    struct pd_err *err)
{
	MMDB_entry_data_list_s *list;
	MMDB_entry_data_s	d;
	MMDB_entry_s		e = { .mmdb = &g->db };
	bool			found = false;
	int			rc;

	for (size_t i = 0; i < s->n; i++) {
		e.offset = s->off[i];
		/*
		 * libmaxminddb 1.7 hands back the list on errors too, later
		 * versions free it and set NULL: free what is there.
		 */
		list = NULL;
		rc = MMDB_get_entry_data_list(&e, &list);
		MMDB_free_entry_data_list(list);
		if (rc != MMDB_SUCCESS)
			return pd_err_set(err,
			    "%s: corrupt MaxMind DB file: "
			    "data record at %" PRIu32 ": %s",
			    path, e.offset, MMDB_strerror(rc));
		if (g->kind == PD_GEOIP_ASN)
			rc = MMDB_aget_value(&e, &d, asn_path);
		else if ((rc = MMDB_aget_value(&e, &d, country_path)) ==
		    MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
			rc = MMDB_aget_value(&e, &d, registered_path);
		if (rc == MMDB_SUCCESS && d.has_data)
			found = true;
	}
	if (!found)
		return pd_err_set(err,
		    "%s: database type \"%s\" has no %s "
		    "data: not %s database",
		    path, g->name,
		    g->kind == PD_GEOIP_ASN ? "autonomous_system_number" :
					      "country iso_code",
		    g->kind == PD_GEOIP_ASN ? "an ASN" : "a country");
	return 0;
}

/* describe - the type, printable, and the build date for the logs */
static void
describe(struct pd_geoip *g)
{
	const char *t = g->db.metadata.database_type;
	time_t	    epoch = (time_t)g->db.metadata.build_epoch;
	char	    date[32];
	struct tm   tm;
	size_t	    i;

	if (t == NULL)
		t = "unknown";
	/* The type is text from the file: keep it out of log syntax. */
	for (i = 0; t[i] != '\0' && i < sizeof(g->name) - 1; i++)
		g->name[i] = t[i] > ' ' && t[i] < 0x7f ? t[i] : '?';
	g->name[i] = '\0';
	if (gmtime_r(&epoch, &tm) != NULL &&
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		snprintf(g->type, sizeof(g->type), "%s built %s", g->name,
		    date);
	else
		snprintf(g->type, sizeof(g->type), "%s built %" PRIu64, g->name,
		    g->db.metadata.build_epoch);
}

struct pd_geoip *
pd_geoip_open(const char *path, enum pd_geoip_kind kind, struct pd_err *err)
{
	struct pd_geoip *g;
	struct sample	 s = { .n = 0 };
	int		 rc;

	if (geoip_check_file(path, err) == -1)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		pd_err_set(err, "%s: out of memory", path);
		return NULL;
	}
	g->kind = kind;
	if ((g->path = strdup(path)) == NULL) {
		pd_err_set(err, "%s: out of memory", path);
		free(g);
		return NULL;
	}
	errno = 0;
	if ((rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db)) != MMDB_SUCCESS) {
		open_error(path, rc, errno, err);
		free(g->path);
		free(g);
		return NULL;
	}
	describe(g);
	if (check_layout(g, path, err) == -1 ||
	    check_tree(g, path, &s, err) == -1 ||
	    check_kind(g, path, &s, err) == -1) {
		pd_geoip_close(g);
		return NULL;
	}
	return g;
}

void
pd_geoip_close(struct pd_geoip *g)
{
	if (g == NULL)
		return;
	MMDB_close(&g->db);
	free(g->path);
	free(g);
}

int64_t
pd_geoip_built(const struct pd_geoip *g)
{
	return (int64_t)g->db.metadata.build_epoch;
}

enum pd_geoip_kind
pd_geoip_kind(const struct pd_geoip *g)
{
	return g->kind;
}

const char *
pd_geoip_path(const struct pd_geoip *g)
{
	return g->path;
}

const char *
pd_geoip_type(const struct pd_geoip *g)
{
	return g->type;
}

/* geoip_find - the data record for a; 1 found, 0 not listed, -1 error */
static int
geoip_find(const struct pd_geoip *g, const struct pd_addr *a, MMDB_entry_s *e)
{
	union {
		struct sockaddr	    sa;
		struct sockaddr_in  sin;
		struct sockaddr_in6 sin6;
	} su;
	MMDB_lookup_result_s r;
	int		     rc;

	if (a->family == 4) {
		su.sin = (struct sockaddr_in){ .sin_family = AF_INET };
		memcpy(&su.sin.sin_addr, a->bytes, 4);
	} else if (a->family == 6) {
		/* libmaxminddb calls this an error; it is just not listed. */
		if (g->db.metadata.ip_version == 4)
			return 0;
		su.sin6 = (struct sockaddr_in6){ .sin6_family = AF_INET6 };
		memcpy(&su.sin6.sin6_addr, a->bytes, 16);
	} else
		return -1;
	r = MMDB_lookup_sockaddr(&g->db, &su.sa, &rc);
	if (rc != MMDB_SUCCESS)
		return -1;
	if (!r.found_entry)
		return 0;
	*e = r.entry;
	return 1;
}

int
pd_geoip_country(const struct pd_geoip *g, const struct pd_addr *a, char cc[3])
{
	MMDB_entry_s	  e;
	MMDB_entry_data_s d;
	int		  rc;

	cc[0] = '\0';
	if ((rc = geoip_find(g, a, &e)) != 1)
		return rc;
	/* A missing key is "path does not match", not a failure. */
	rc = MMDB_aget_value(&e, &d, country_path);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		rc = MMDB_aget_value(&e, &d, registered_path);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		return 0;
	if (rc != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return -1;
	for (int i = 0; i < 2; i++) {
		char c = d.utf8_string[i];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c < 'A' || c > 'Z') {
			cc[0] = '\0';
			return -1;
		}
		cc[i] = c;
	}
	cc[2] = '\0';
	return 1;
}

int
pd_geoip_asn(const struct pd_geoip *g, const struct pd_addr *a, uint32_t *asn)
{
	MMDB_entry_s	  e;
	MMDB_entry_data_s d;
	int		  rc;

	*asn = 0;
	if ((rc = geoip_find(g, a, &e)) != 1)
		return rc;
	rc = MMDB_aget_value(&e, &d, asn_path);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		return 0;
	if (rc != MMDB_SUCCESS || !d.has_data)
		return -1;
	/* MaxMind and DB-IP write uint32; accept any fitting integer. */
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT32:
		*asn = d.uint32;
		return 1;
	case MMDB_DATA_TYPE_UINT16:
		*asn = d.uint16;
		return 1;
	case MMDB_DATA_TYPE_UINT64:
		if (d.uint64 > UINT32_MAX)
			return -1;
		*asn = (uint32_t)d.uint64;
		return 1;
	case MMDB_DATA_TYPE_INT32:
		if (d.int32 < 0)
			return -1;
		*asn = (uint32_t)d.int32;
		return 1;
	default:
		return -1;
	}
}

int
pd_geo_open(struct pd_geo *geo, const char *country, const char *asn,
    struct pd_err *err)
{
	geo->country = geo->asn = NULL;
	if (*country != '\0' &&
	    (geo->country = pd_geoip_open(country, PD_GEOIP_COUNTRY, err)) ==
		NULL)
		return -1;
	if (*asn != '\0' &&
	    (geo->asn = pd_geoip_open(asn, PD_GEOIP_ASN, err)) == NULL) {
		pd_geo_close(geo);
		return -1;
	}
	return 0;
}

void
pd_geo_close(struct pd_geo *geo)
{
	pd_geoip_close(geo->country);
	pd_geoip_close(geo->asn);
	geo->country = geo->asn = NULL;
}
