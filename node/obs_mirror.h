/*
 * obs_mirror.h — the mirror in the metrics and on the status page.
 *
 * Metrics: trove_scrub_* (passes, blocks and bytes rehashed, corrupt and
 * missing blocks found, repairs done, failed and pending, the pass's
 * progress) when the scrubber runs; trove_mirror_pins{status} (the
 * Pinning Service API's pins, from the store's counters).  Status object:
 * "scrub" (mir_scrub_json), "repairs" (the last ones, newest first) and
 * "follows" (mir_follow_status), "mirrors" ({CID: how many followed
 * mirrors hold it}, for the page's pins table).
 */
#ifndef NODE_OBS_MIRROR_H
#define NODE_OBS_MIRROR_H

#include "mirror.h"
#include "obs.h"
#include "scrub.h"

/* Register both parts; sc and m must outlive obs's requests (the daemon's
 * own fields).  0, or the registry's errors. */
int node_obs_mirror(node_obs_t *obs, node_scrub_t *sc,
                    node_mirror_t *m) TR_WUR;

#endif /* NODE_OBS_MIRROR_H */
