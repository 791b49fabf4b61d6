/* SPDX-License-Identifier: ISC */
/*
 * geoip - country and AS number of an address, from one MaxMind DB
 * (.mmdb) file: GeoLite2/GeoIP2 Country or City, GeoLite2 ASN, and the
 * DB-IP files, which use the same layout.
 *
 * A handle is one open database, mapped read-only; lookups allocate
 * nothing and may be made at any rate.  pd_geoip_open() reads the whole
 * search tree once, so a truncated or damaged file is refused then and
 * not found per request.
 *
 * The caller owns the handle.  To reload, open a new handle and close
 * the old one only when the new one opened fine, so that a bad download
 * leaves the old data in use.  Results hold no pointers into the file.
 */
#ifndef PD_GEOIP_H
#define PD_GEOIP_H

#include <stdint.h>

struct pd_addr;
struct pd_err;
struct pd_geoip;

enum pd_geoip_kind {
	PD_GEOIP_COUNTRY, /* "country" -> "iso_code" */
	PD_GEOIP_ASN,	  /* "autonomous_system_number" */
};

/*
 * pd_geoip_open - open path and check that it holds what kind needs;
 * NULL with err naming the file and the problem (missing, unreadable,
 * not an MMDB file, truncated or corrupt, wrong kind of database).
 */
struct pd_geoip	  *pd_geoip_open(const char *path, enum pd_geoip_kind,
      struct pd_err *);
/* pd_geoip_close - unmap and free; NULL ok */
void		   pd_geoip_close(struct pd_geoip *);
/* pd_geoip_type - "GeoLite2-Country built 2026-11-22T00:00:00Z", for logs */
const char	  *pd_geoip_type(const struct pd_geoip *);
/* pd_geoip_built - when the file was built, seconds since the epoch */
int64_t		   pd_geoip_built(const struct pd_geoip *);
/* pd_geoip_path - the file it was opened from */
const char	  *pd_geoip_path(const struct pd_geoip *);
/* pd_geoip_kind - what the file was opened as */
enum pd_geoip_kind pd_geoip_kind(const struct pd_geoip *);
/* pd_geoip_kind_name - "country" or "asn" */
const char	  *pd_geoip_kind_name(enum pd_geoip_kind);

/*
 * pd_geoip_country - the ISO 3166 code ("DE") into cc; the country the
 * address is used in, else the one it is registered in.  1 found, 0 not
 * listed (cc is ""), -1 lookup error (corrupt data).  An IPv6 address
 * in an IPv4-only database is not listed.
 */
int pd_geoip_country(const struct pd_geoip *, const struct pd_addr *,
    char cc[3]);
/* pd_geoip_asn - the AS number; 1 found, 0 not listed, -1 lookup error */
int pd_geoip_asn(const struct pd_geoip *, const struct pd_addr *,
    uint32_t *asn);

/*
 * The databases one config names, opened and replaced together so that
 * a reload either takes both new files or keeps both old ones.  Either
 * may be NULL: not configured.
 */
struct pd_geo {
	struct pd_geoip *country;
	struct pd_geoip *asn;
};

/*
 * pd_geo_open - open the country and ASN databases ("" for none); -1
 * with err naming the file when either fails, and then neither is open.
 */
int  pd_geo_open(struct pd_geo *, const char *country, const char *asn,
     struct pd_err *);
/* pd_geo_close - close both; the struct may be opened again */
void pd_geo_close(struct pd_geo *);

#endif
