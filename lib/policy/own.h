/* SPDX-License-Identifier: ISC */
/*
 * own - policyd's own rejects and the server's own deferrals,
 * remembered so that the maillog does not count them back as the
 * client's errors.
 *
 * Postfix logs a reject that policyd asked for like any other.  Two
 * ways recognise one: a ring of what policyd answered each client in
 * the last PD_OWN_TTL (client and reply text, hashed), and the fixed
 * start of any configured reply text, which also holds for rejects from
 * before a restart and for all of them in a replay.
 *
 * Postfix counts every reject as an error of the session, the server's
 * own temporary failures and greylisting too, and drops the client
 * after smtpd_hard_error_limit of them ("too many errors").  A second
 * ring holds the clients the server deferred in the last PD_OWN_TTL,
 * so that such a drop is not the client's either.
 */
#ifndef PD_OWN_H
#define PD_OWN_H

#include <stdbool.h>
#include <stdint.h>

struct pd_addr;
struct pd_conf;

#define PD_OWN_MAX 4096
#define PD_OWN_TTL (10 * 60 * 1000)

struct pd_own_entry {
	uint64_t hash; /* client and reply text; 0 when free */
	int64_t	 when;
};

struct pd_own {
	struct pd_own_entry *v; /* owned, PD_OWN_MAX of them */
	unsigned	     next;
	struct pd_own_entry *defers; /* owned, PD_OWN_MAX: by client */
	unsigned	     next_defer;
};

int  pd_own_init(struct pd_own *);
void pd_own_clear(struct pd_own *);
/* pd_own_note - policyd answered client with text (a reject or defer) */
void pd_own_note(struct pd_own *, const struct pd_addr *client,
    const char *text, int64_t now);
/*
 * pd_own_reply - reason (the text Postfix logged for a reject of
 * client) is one of policyd's own replies
 */
bool pd_own_reply(const struct pd_own *, const struct pd_conf *,
    const struct pd_addr *client, const char *reason, int64_t now);
/* pd_own_note_defer - the server deferred client for its own reasons */
void pd_own_note_defer(struct pd_own *, const struct pd_addr *client,
    int64_t now);
/* pd_own_deferred - it did so in the last PD_OWN_TTL */
bool pd_own_deferred(const struct pd_own *, const struct pd_addr *client,
    int64_t now);

#endif
