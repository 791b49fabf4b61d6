/* SPDX-License-Identifier: ISC */
/*
 * match - which allow or deny list, which profile and which geo
 * condition fits the facts of a request.
 *
 * In an allow or deny list any one entry that matches is enough; in a
 * rule's or profile's condition every part must hold.  A client the
 * databases do not know has no country and no AS: it matches only a
 * negated list.
 */
#ifndef PD_MATCH_H
#define PD_MATCH_H

#include <stdbool.h>

struct pd_access;
struct pd_conf;
struct pd_facts;
struct pd_geo_cond;
struct pd_profile;

/* pd_match_access - the first deny (or allow) list that matches, or NULL */
const struct pd_access	*pd_match_access(const struct pd_conf *,
     struct pd_facts *, bool deny);
/* pd_match_profile - the first profile whose context or port and client fit */
const struct pd_profile *pd_match_profile(const struct pd_conf *,
    struct pd_facts *);
/* pd_match_geo - a rule's or profile's geo condition holds */
bool pd_match_geo(struct pd_facts *, const struct pd_geo_cond *);

#endif
