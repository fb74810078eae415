/*
 * profile.h — Kubo's config profiles (`ipfs config profile apply NAME`,
 * `ipfs init --profile=A,B`) and its Bootstrap list, on the repo's JSON
 * config.
 *
 * Each profile changes the keys Kubo v0.43.1's config/profile.go changes,
 * to the values Kubo writes there (its Strings of one element as a bare
 * string, its durations as Go prints them: "1m0s", "22h0m0s"), and
 * nothing else, so a config that went through trove's profile holds what
 * Kubo's would in those keys.  Keys trove does not read are written all
 * the same: the file stays Kubo's.  The datastore profiles (flatfs,
 * pebbleds, badgerds, ...) are refused: trove's blocks live in LMDB,
 * fixed when the repo is made.
 *
 * Bootstrap: "auto" in the list stands for the peers of AutoConf's
 * mainnet fallback (boxo/autoconf's FallbackBootstrapPeers, what Kubo
 * 0.43 dials when it cannot fetch its autoconf file): trove fetches no
 * autoconf file and dials those.
 */
#ifndef CONFIG_PROFILE_H
#define CONFIG_PROFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/tr.h"

/* Apply the profile name to cfg (at init or later: Kubo's init-only
 * profiles are all datastore ones, which trove refuses either way).
 * Errors: TR_EUSAGE with a message in err ("NAME is not a profile", a
 * datastore profile), TR_ECONFIG (a key on the way is not an object),
 * -ENOMEM. */
int config_profile_apply(json_t *cfg, const char *name, char *err,
                         size_t errlen) TR_WUR;

/* The peers "auto" stands for in Bootstrap, and how many. */
extern const char *const config_bootstrap_default[];
extern const size_t config_bootstrap_ndefault;

/* boot (a JSON array, may be NULL) with each "auto" replaced by
 * config_bootstrap_default's peers, duplicates dropped: a new reference
 * (an empty array for NULL), or NULL on allocation failure. */
json_t *config_bootstrap_expand(const json_t *boot);

/* A JSON config diff as Kubo's `config profile apply` prints it (its
 * encoder is github.com/elgris/jsondiff's Format): every key of old and
 * new in byte order, "<> " before the old value and "** " before the new
 * one where they differ, "<< " an added key, ">> " a removed one, nested
 * objects and arrays compared the same way.  color: the ANSI colors
 * jsondiff writes (yellow, green, red).  A new string to free(), NULL on
 * allocation failure. */
char *config_diff(const json_t *old, const json_t *cur, bool color);

#endif /* CONFIG_PROFILE_H */
