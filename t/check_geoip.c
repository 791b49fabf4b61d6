/* SPDX-License-Identifier: ISC */
/*
 * check_geoip - country and ASN lookups in generated MaxMind DB files
 * (GeoLite2 and DB-IP layouts, IPv6 and IPv4-only trees), values that
 * must be checked, files that must be refused, and damaged files that
 * must never crash a lookup.
 *
 * The databases come from t/gen-mmdb.pl, run once by main() before the
 * suite (tu_mmdb).  Damaged copies are made per test in tu_tmpdir().
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <maxminddb.h>

#include "addr.h"
#include "err.h"
#include "geoip.h"
#include "testutil.h"


static const char *dbdir;

/* dbpath - name in the generated directory */
static const char *
dbpath(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dbdir, name);
	return path;
}

static struct pd_addr
addr(const char *text)
{
	struct pd_addr a;

	ck_assert_msg(pd_addr_parse(text, &a) == 0, "%s: bad address", text);
	return a;
}

static struct pd_geoip *
open_ok(const char *name, enum pd_geoip_kind kind)
{
	struct pd_geoip *g;
	struct pd_err err;

	g = pd_geoip_open(dbpath(name), kind, &err);
	ck_assert_msg(g != NULL, "%s: %s", name, err.msg);
	return g;
}

/* The files a kind of lookup is run against; v4-* are IPv4-only. */
static const char *country_files[] = {
	"country.mmdb", "dbip-country.mmdb", "v4-country.mmdb"
};
static const char *asn_files[] = {
	"asn.mmdb", "dbip-asn.mmdb", "v4-asn.mmdb"
};

static const struct {
	const char	*name;
	const char	*ip;
	int		 want;
	const char	*cc;
} country_cases[] = {
	{ "ipv4 DE", "192.0.2.55", 1, "DE" },
	{ "ipv4 first of DE", "192.0.2.0", 1, "DE" },
	{ "ipv4 last of DE", "192.0.2.255", 1, "DE" },
	{ "ipv4 CN", "198.51.100.7", 1, "CN" },
	{ "ipv4-mapped CN", "::ffff:198.51.100.7", 1, "CN" },
	{ "country wins over registered", "203.0.113.5", 1, "US" },
	{ "last of US", "203.0.113.127", 1, "US" },
	{ "registered_country only", "203.0.113.128", 1, "FR" },
	{ "registered_country only, last", "203.0.113.255", 1, "FR" },
	{ "ipv6 DE", "2001:db8:1::25", 1, "DE" },
	{ "ipv6 CN", "2001:db8:2:ffff::1", 1, "CN" },
	{ "6to4 of 192.0.2.55 is aliased", "2002:c000:237::1", 1, "DE" },
	{ "ipv4 unlisted", "10.1.2.3", 0, "" },
	{ "ipv4 next to DE", "192.0.3.0", 0, "" },
	{ "ipv4 before CN", "198.51.99.255", 0, "" },
	{ "ipv4 any", "0.0.0.0", 0, "" },
	{ "ipv6 unlisted", "2001:db8:3::1", 0, "" },
	{ "ipv6 loopback", "::1", 0, "" },
};

START_TEST(test_geoip_country_lookup)
{
	int row = _i / nitems(country_files);
	const char *file = country_files[_i % nitems(country_files)];
	struct pd_geoip *g;
	struct pd_addr a;
	int want, got;
	char cc[3] = "??";
	const char *wantcc;

	g = open_ok(file, PD_GEOIP_COUNTRY);
	a = addr(country_cases[row].ip);
	want = country_cases[row].want;
	wantcc = country_cases[row].cc;
	/* An IPv4-only database lists no IPv6 network. */
	if (a.family == 6 && strncmp(file, "v4-", 3) == 0) {
		want = 0;
		wantcc = "";
	}
	got = pd_geoip_country(g, &a, cc);
	ck_assert_msg(got == want && strcmp(cc, wantcc) == 0,
	    "%s %s (%s): got %d \"%s\", want %d \"%s\"", file,
	    country_cases[row].name, country_cases[row].ip, got, cc, want,
	    wantcc);
	pd_geoip_close(g);
}
END_TEST

static const struct {
	const char	*name;
	const char	*ip;
	int		 want;
	uint32_t	 asn;
} asn_cases[] = {
	{ "ipv4 CN", "198.51.100.7", 1, 64501 },
	{ "ipv4-mapped CN", "::ffff:198.51.100.7", 1, 64501 },
	{ "ipv4 US, across the country split", "203.0.113.200", 1, 64502 },
	{ "ipv4 DE low half", "192.0.2.1", 1, 64500 },
	{ "ipv4 DE high half", "192.0.2.200", 1, 64500 },
	{ "ipv6 DE", "2001:db8:1::1", 1, 64500 },
	{ "ipv6 CN", "2001:db8:2::1", 1, 64501 },
	{ "ipv4 unlisted", "10.0.0.1", 0, 0 },
	{ "ipv6 unlisted", "2001:db8:3::1", 0, 0 },
};

START_TEST(test_geoip_asn_lookup)
{
	int row = _i / nitems(asn_files);
	const char *file = asn_files[_i % nitems(asn_files)];
	struct pd_geoip *g;
	struct pd_addr a;
	uint32_t asn = 12345, wantasn;
	int want, got;

	g = open_ok(file, PD_GEOIP_ASN);
	a = addr(asn_cases[row].ip);
	want = asn_cases[row].want;
	wantasn = asn_cases[row].asn;
	if (a.family == 6 && strncmp(file, "v4-", 3) == 0) {
		want = 0;
		wantasn = 0;
	}
	got = pd_geoip_asn(g, &a, &asn);
	ck_assert_msg(got == want && asn == wantasn,
	    "%s %s (%s): got %d AS%u, want %d AS%u", file, asn_cases[row].name,
	    asn_cases[row].ip, got, asn, want, wantasn);
	pd_geoip_close(g);
}
END_TEST

/* Values from the file are checked, not trusted (odd-*.mmdb). */
static const struct {
	const char		*name;
	enum pd_geoip_kind	 kind;
	const char		*ip;
	int			 want;
	const char		*cc;
} odd_cases[] = {
	{ "lower-case code is upper-cased", PD_GEOIP_COUNTRY, "192.0.2.1", 1,
	    "DE" },
	{ "three-letter code", PD_GEOIP_COUNTRY, "192.0.2.65", -1, "" },
	{ "digit in the code", PD_GEOIP_COUNTRY, "192.0.2.129", -1, "" },
	{ "continent only", PD_GEOIP_COUNTRY, "192.0.2.193", 0, "" },
	{ "AS number as text", PD_GEOIP_ASN, "192.0.2.1", -1, NULL },
	{ "organisation only", PD_GEOIP_ASN, "192.0.2.129", 0, NULL },
};

START_TEST(test_geoip_odd_values_are_checked)
{
	struct pd_geoip *g;
	struct pd_addr a = addr(odd_cases[_i].ip);
	uint32_t asn = 12345;
	char cc[3] = "??";
	int got;

	if (odd_cases[_i].kind == PD_GEOIP_COUNTRY) {
		g = open_ok("odd-country.mmdb", PD_GEOIP_COUNTRY);
		got = pd_geoip_country(g, &a, cc);
		ck_assert_msg(got == odd_cases[_i].want &&
		    strcmp(cc, odd_cases[_i].cc) == 0,
		    "%s: got %d \"%s\", want %d \"%s\"", odd_cases[_i].name,
		    got, cc, odd_cases[_i].want, odd_cases[_i].cc);
	} else {
		g = open_ok("odd-asn.mmdb", PD_GEOIP_ASN);
		got = pd_geoip_asn(g, &a, &asn);
		ck_assert_msg(got == odd_cases[_i].want && asn == 0,
		    "%s: got %d AS%u, want %d AS0", odd_cases[_i].name, got,
		    asn, odd_cases[_i].want);
	}
	pd_geoip_close(g);
}
END_TEST

static const struct {
	const char		*file;
	enum pd_geoip_kind	 kind;
	const char		*want;
} type_cases[] = {
	{ "country.mmdb", PD_GEOIP_COUNTRY,
	    "GeoLite2-Country built 2026-11-22T00:00:00Z" },
	{ "asn.mmdb", PD_GEOIP_ASN, "GeoLite2-ASN built 2026-11-22T00:00:00Z" },
	{ "dbip-country.mmdb", PD_GEOIP_COUNTRY,
	    "DBIP-Country-Lite built 2026-11-22T00:00:00Z" },
	{ "dbip-asn.mmdb", PD_GEOIP_ASN,
	    "DBIP-ASN-Lite built 2026-11-22T00:00:00Z" },
};

START_TEST(test_geoip_type_names_database_and_build)
{
	struct pd_geoip *g;

	g = open_ok(type_cases[_i].file, type_cases[_i].kind);
	ck_assert_str_eq(pd_geoip_type(g), type_cases[_i].want);
	pd_geoip_close(g);
}
END_TEST

/* How a file to be refused is made from a good one. */
enum damage {
	MISSING,
	TEXT,
	EMPTY,
	DIRECTORY,
	AS_IS,
	HALF,		/* truncated to half its size */
	CUT_END,	/* the last 10 bytes lost */
	TREE_GARBAGE,	/* 16 bytes of garbage mid search tree */
	TREE_ZEROS,	/* 12 zero bytes mid search tree */
	SEPARATOR,	/* one byte set in the 16 after the tree */
	TREE_HOLE,	/* 48 bytes cut out of the search tree */
};

static const struct {
	const char		*name;
	const char		*src;
	enum pd_geoip_kind	 kind;
	enum damage		 damage;
	const char		*want;		/* in the message */
} refused_cases[] = {
	{ "missing", NULL, PD_GEOIP_COUNTRY, MISSING,
	    ": No such file or directory" },
	{ "text file", NULL, PD_GEOIP_COUNTRY, TEXT,
	    ": not a MaxMind DB file, or truncated (no valid metadata)" },
	{ "empty file", NULL, PD_GEOIP_ASN, EMPTY, ": empty file" },
	{ "directory", NULL, PD_GEOIP_COUNTRY, DIRECTORY,
	    ": not a regular file" },
	{ "asn as country", "asn.mmdb", PD_GEOIP_COUNTRY, AS_IS,
	    ": database type \"GeoLite2-ASN\" has no country iso_code data: "
	    "not a country database" },
	{ "dbip asn as country", "dbip-asn.mmdb", PD_GEOIP_COUNTRY, AS_IS,
	    ": database type \"DBIP-ASN-Lite\" has no country iso_code data: "
	    "not a country database" },
	{ "country as asn", "country.mmdb", PD_GEOIP_ASN, AS_IS,
	    ": database type \"GeoLite2-Country\" has no "
	    "autonomous_system_number data: not an ASN database" },
	{ "half a country", "country.mmdb", PD_GEOIP_COUNTRY, HALF,
	    ": not a MaxMind DB file, or truncated (no valid metadata)" },
	{ "half an asn", "asn.mmdb", PD_GEOIP_ASN, HALF,
	    ": not a MaxMind DB file, or truncated (no valid metadata)" },
	{ "end cut off", "country.mmdb", PD_GEOIP_COUNTRY, CUT_END,
	    ": corrupt or truncated MaxMind DB file: bad metadata" },
	{ "garbage in the tree", "country.mmdb", PD_GEOIP_COUNTRY,
	    TREE_GARBAGE, ": corrupt MaxMind DB file: search tree node " },
	{ "garbage in the v4 tree", "v4-asn.mmdb", PD_GEOIP_ASN,
	    TREE_GARBAGE, ": corrupt MaxMind DB file: search tree node " },
	{ "zeros in the tree", "asn.mmdb", PD_GEOIP_ASN, TREE_ZEROS,
	    ": corrupt MaxMind DB file: search tree node " },
	{ "separator", "country.mmdb", PD_GEOIP_COUNTRY, SEPARATOR,
	    ": corrupt MaxMind DB file: no data section separator" },
	{ "hole in the tree", "country.mmdb", PD_GEOIP_COUNTRY, TREE_HOLE,
	    ": corrupt MaxMind DB file: " },
};

/* slurp - the whole file; caller frees */
static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *buf;
	struct stat st;
	FILE *fp;

	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s: cannot open", path);
	ck_assert_int_eq(fstat(fileno(fp), &st), 0);
	*len = (size_t)st.st_size;
	buf = malloc(*len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, *len, fp), *len);
	fclose(fp);
	return buf;
}

static void
spew(const char *path, const void *buf, size_t len)
{
	FILE *fp;

	fp = fopen(path, "wb");
	ck_assert_msg(fp != NULL, "%s: cannot create", path);
	ck_assert_uint_eq(fwrite(buf, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* tree_size - bytes of search tree, as the metadata says */
static size_t
tree_size(const char *path)
{
	MMDB_s db;
	size_t n;

	ck_assert_int_eq(MMDB_open(path, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
	n = (size_t)db.metadata.node_count * db.full_record_byte_size;
	MMDB_close(&db);
	return n;
}

/* make_damaged - write the case's file into path */
static void
make_damaged(int i, const char *path)
{
	static const unsigned char garbage[16] = {
		0xde, 0xad, 0xbe, 0xef, 0x13, 0x37, 0xc0, 0xff,
		0xee, 0x42, 0x99, 0x17, 0xab, 0xcd, 0xef, 0x01,
	};
	const char *src = refused_cases[i].src;
	unsigned char *buf;
	size_t len, tree;

	switch (refused_cases[i].damage) {
	case MISSING:
		return;
	case TEXT:
		spew(path, "this is not a database\n", 23);
		return;
	case EMPTY:
		spew(path, "", 0);
		return;
	case DIRECTORY:
		ck_assert_int_eq(mkdir(path, 0700), 0);
		return;
	default:
		break;
	}
	buf = slurp(dbpath(src), &len);
	tree = tree_size(dbpath(src));
	ck_assert_uint_gt(tree, 200);
	switch (refused_cases[i].damage) {
	case HALF:
		len /= 2;
		break;
	case CUT_END:
		len -= 10;
		break;
	case TREE_GARBAGE:
		memcpy(buf + tree / 2, garbage, sizeof(garbage));
		break;
	case TREE_ZEROS:
		memset(buf + tree / 2, 0, 12);
		break;
	case SEPARATOR:
		buf[tree + 7] = 0x20;
		break;
	case TREE_HOLE:
		memmove(buf + tree / 2, buf + tree / 2 + 48,
		    len - tree / 2 - 48);
		len -= 48;
		break;
	default:
		break;
	}
	spew(path, buf, len);
	free(buf);
}

START_TEST(test_geoip_bad_file_is_refused)
{
	struct pd_geoip *g;
	struct pd_err err;
	char path[512];

	snprintf(path, sizeof(path), "%s/refused-%d.mmdb", tu_tmpdir(), _i);
	make_damaged(_i, path);
	memset(&err, 0, sizeof(err));
	g = pd_geoip_open(path, refused_cases[_i].kind, &err);
	ck_assert_msg(g == NULL, "%s: opened", refused_cases[_i].name);
	/* The message names the file first, then the problem. */
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0 &&
	    strstr(err.msg, refused_cases[_i].want) != NULL,
	    "%s: got \"%s\", want \"%s%s\"", refused_cases[_i].name, err.msg,
	    path, refused_cases[_i].want);
}
END_TEST

/* One address per network and some that are not listed. */
static const char *probe_ips[] = {
	"192.0.2.55", "198.51.100.7", "203.0.113.5", "203.0.113.200",
	"2001:db8:1::25", "2001:db8:2::1", "10.1.2.3", "2001:db8:3::1",
	"0.0.0.0", "255.255.255.255", "::1", "ffff::1", "2002:c000:237::1",
};

/*
 * probe - every lookup answers -1, 0 or 1 and leaves a sane result;
 * returns how many answered -1.
 */
static int
probe(const struct pd_geoip *g, enum pd_geoip_kind kind, const char *what)
{
	struct pd_addr a;
	uint32_t asn;
	char cc[3];
	int rc, errors = 0;

	for (int i = 0; i < nitems(probe_ips); i++) {
		a = addr(probe_ips[i]);
		if (kind == PD_GEOIP_COUNTRY) {
			rc = pd_geoip_country(g, &a, cc);
			ck_assert_msg(rc >= -1 && rc <= 1, "%s %s: rc %d",
			    what, probe_ips[i], rc);
			if (rc == 1)
				ck_assert_msg(strlen(cc) == 2 &&
				    cc[0] >= 'A' && cc[0] <= 'Z' &&
				    cc[1] >= 'A' && cc[1] <= 'Z',
				    "%s %s: cc \"%s\"", what, probe_ips[i], cc);
			else
				ck_assert_str_eq(cc, "");
		} else {
			rc = pd_geoip_asn(g, &a, &asn);
			ck_assert_msg(rc >= -1 && rc <= 1, "%s %s: rc %d",
			    what, probe_ips[i], rc);
			if (rc != 1)
				ck_assert_uint_eq(asn, 0);
		}
		if (rc == -1)
			errors++;
	}
	return errors;
}

/* data_end - where the metadata marker starts, the data ends */
static size_t
data_end(const unsigned char *buf, size_t len)
{
	static const char marker[] = "\xab\xcd\xefMaxMind.com";
	size_t n = sizeof(marker) - 1;

	for (size_t i = len - n; i > 0; i--)
		if (memcmp(buf + i, marker, n) == 0)
			return i;
	ck_abort_msg("no metadata marker");
	return 0;
}

START_TEST(test_geoip_garbage_in_data_never_crashes)
{
	static const char *files[] = { "country.mmdb", "asn.mmdb" };
	enum pd_geoip_kind kind = _i == 0 ? PD_GEOIP_COUNTRY : PD_GEOIP_ASN;
	struct pd_geoip *g;
	struct pd_err err;
	unsigned char *buf;
	char path[512];
	size_t len, start, end;

	snprintf(path, sizeof(path), "%s/data-garbage.mmdb", tu_tmpdir());
	buf = slurp(dbpath(files[_i]), &len);
	start = tree_size(dbpath(files[_i])) + 16;
	end = data_end(buf, len);
	ck_assert_uint_gt(end, start + 64);
	/* 0xff over the middle 32 bytes of the data, not the metadata. */
	memset(buf + (start + end) / 2 - 16, 0xff, 32);
	spew(path, buf, len);
	free(buf);
	g = pd_geoip_open(path, kind, &err);
	if (g == NULL)
		ck_assert_msg(strstr(err.msg, ": corrupt MaxMind DB file: "
		    "data record at ") != NULL, "got \"%s\"", err.msg);
	else {
		probe(g, kind, "data garbage");
		pd_geoip_close(g);
	}
}
END_TEST

/*
 * Flip each byte of a good file in turn: the open either refuses it
 * with a message, or every lookup gives a sane answer.  Under ASan or
 * valgrind this covers reads out of bounds in the tree, the data and
 * the metadata.
 */
START_TEST(test_geoip_every_byte_flipped_never_crashes)
{
	static const char *files[] = { "country.mmdb", "asn.mmdb" };
	enum pd_geoip_kind kind = _i == 0 ? PD_GEOIP_COUNTRY : PD_GEOIP_ASN;
	struct pd_geoip *g;
	struct pd_err err;
	unsigned char *buf;
	char path[512], what[64];
	size_t len;
	int opened = 0, refused = 0;

	snprintf(path, sizeof(path), "%s/flipped.mmdb", tu_tmpdir());
	buf = slurp(dbpath(files[_i]), &len);
	for (size_t pos = 0; pos < len; pos++) {
		buf[pos] ^= 0xff;
		spew(path, buf, len);
		buf[pos] ^= 0xff;
		err.msg[0] = '\0';
		g = pd_geoip_open(path, kind, &err);
		if (g == NULL) {
			ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0,
			    "byte %zu: message \"%s\"", pos, err.msg);
			refused++;
			continue;
		}
		snprintf(what, sizeof(what), "byte %zu", pos);
		probe(g, kind, what);
		pd_geoip_close(g);
		opened++;
	}
	free(buf);
	/* Most of a small file is tree and metadata: most flips refuse. */
	ck_assert_int_gt(refused, (int)len / 2);
	ck_assert_int_gt(opened, 0);
}
END_TEST

START_TEST(test_geoip_failed_reopen_keeps_old_handle)
{
	struct pd_geoip *old, *new;
	struct pd_addr a = addr("198.51.100.7");
	struct pd_err err;
	char cc[3];

	old = open_ok("country.mmdb", PD_GEOIP_COUNTRY);
	/* The reload picked the wrong file: the old data stays in use. */
	new = pd_geoip_open(dbpath("asn.mmdb"), PD_GEOIP_COUNTRY, &err);
	ck_assert_ptr_null(new);
	ck_assert_int_eq(pd_geoip_country(old, &a, cc), 1);
	ck_assert_str_eq(cc, "CN");
	/* The right file: two handles on one file work side by side. */
	new = open_ok("dbip-country.mmdb", PD_GEOIP_COUNTRY);
	ck_assert_int_eq(pd_geoip_country(new, &a, cc), 1);
	ck_assert_str_eq(cc, "CN");
	pd_geoip_close(old);
	ck_assert_int_eq(pd_geoip_country(new, &a, cc), 1);
	ck_assert_str_eq(cc, "CN");
	pd_geoip_close(new);
	pd_geoip_close(NULL);
}
END_TEST

static Suite *
geoip_suite(void)
{
	Suite *s = suite_create("geoip");
	TCase *tc;

	tc = tcase_create("lookup");
	tcase_add_loop_test(tc, test_geoip_country_lookup, 0,
	    nitems(country_cases) * nitems(country_files));
	tcase_add_loop_test(tc, test_geoip_asn_lookup, 0,
	    nitems(asn_cases) * nitems(asn_files));
	tcase_add_loop_test(tc, test_geoip_type_names_database_and_build, 0,
	    nitems(type_cases));
	tcase_add_loop_test(tc, test_geoip_odd_values_are_checked, 0,
	    nitems(odd_cases));
	tcase_add_test(tc, test_geoip_failed_reopen_keeps_old_handle);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_loop_test(tc, test_geoip_bad_file_is_refused, 0,
	    nitems(refused_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("damaged");
	/* Thousands of opens: give valgrind room. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_geoip_garbage_in_data_never_crashes, 0, 2);
	tcase_add_loop_test(tc, test_geoip_every_byte_flipped_never_crashes,
	    0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	dbdir = tu_mmdb("--dbip --ipv4 --odd");
	return tu_run(geoip_suite()) != 0;
}
