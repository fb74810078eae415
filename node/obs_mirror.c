/*
 * obs_mirror.c — the mirror's part of the metrics and the status page
 * (obs.h's hooks): the scrubber's findings and repairs, the Pinning
 * Service API's pins by status, and the follows.
 */
#include "obs_mirror.h"

#include "../mirror/follow.h"

/* ------------------------------------------------------------ metrics */

static void counter(tr_mw_t *w, const char *name, const char *help,
                    uint64_t v) {
  tr_mw_family(w, name, TR_METRIC_COUNTER, help);
  tr_mw_sample_u64(w, name, NULL, v);
}

static void collect_scrub(tr_mw_t *w, void *ud) {
  node_scrub_t *sc = ud;
  if (!sc->s)
    return;
  mir_scrub_stats_t st;
  mir_scrub_stats(sc->s, &st);
  counter(w, "trove_scrub_passes_total", "Scrub passes finished.",
          st.passes_total);
  counter(w, "trove_scrub_blocks_total", "Blocks rehashed by the scrubber.",
          st.blocks_total);
  counter(w, "trove_scrub_bytes_total", "Bytes rehashed by the scrubber.",
          st.bytes_total);
  counter(w, "trove_scrub_corrupt_total",
          "Blocks found not to hash to their key.", st.corrupt_total);
  counter(w, "trove_scrub_missing_total",
          "Blocks of pinned DAGs found missing.", st.missing_total);
  counter(w, "trove_scrub_unreadable_total",
          "Filestore references whose file could not be read.",
          st.unreadable_total);
  counter(w, "trove_scrub_repaired_total",
          "Corrupt or missing blocks fetched again.", st.repaired_total);
  counter(w, "trove_scrub_repair_failures_total",
          "Repair fetches that failed or timed out.", st.repair_failed_total);
  tr_mw_one(w, "trove_scrub_repairs_pending", TR_METRIC_GAUGE,
            "Repairs waiting or fetching.", (double)st.repairs_pending);
  tr_mw_one(w, "trove_scrub_pass_progress_ratio", TR_METRIC_GAUGE,
            "The hash phase's position in the store (0 to 1).",
            st.cursor_pct / 100);
}

/* Pins by status: from the store's counters (cheap), on the loop. */
static void collect_pins(tr_mw_t *w, void *ud) {
  node_mirror_t *m = ud;
  bs_txn_t *txn;
  if (!m->st || bs_txn_begin(mir_store_env(m->st), BS_RDONLY, &txn))
    return;
  tr_mw_family(w, "trove_mirror_pins", TR_METRIC_GAUGE,
               "Pinning Service API pins by status.");
  for (int s = 0; s < MIR_NSTATUS; s++) {
    mir_query_t q;
    mir_query_init(&q);
    q.statuses = MIR_ST(s);
    uint64_t n;
    if (mir_count(m->st, txn, &q, &n))
      break;
    const char *labels[] = {"status", mir_status_name(s), NULL};
    tr_mw_sample_u64(w, "trove_mirror_pins", labels, n);
  }
  bs_txn_abort(txn);
}

/* ------------------------------------------------------------- status */

static json_t *section_scrub(void *ud) {
  node_scrub_t *sc = ud;
  return sc->s ? mir_scrub_json(sc->s) : NULL;
}

static json_t *section_repairs(void *ud) {
  node_scrub_t *sc = ud;
  return sc->s ? mir_scrub_recent_json(sc->s) : NULL;
}

static json_t *section_follows(void *ud) {
  node_mirror_t *m = ud;
  return m->fol ? mir_follow_status(m->fol) : NULL;
}

/* Replication: how many followed mirrors hold each CID, from the pins the
 * follows made here (one per follow and CID), the newest
 * OBS_MIRRORS_SCAN of them (on the loop, at each poll of the page). */
#define OBS_MIRRORS_SCAN 2000
static json_t *section_mirrors(void *ud) {
  node_mirror_t *m = ud;
  mir_query_t q;
  mir_list_t *l;
  bs_txn_t *txn;
  if (!m->st || !m->fol)
    return NULL;
  mir_query_init(&q);
  if (mir_list_new(m->st, &q, &l))
    return NULL;
  json_t *o = json_object();
  if (!o || bs_txn_begin(mir_store_env(m->st), BS_RDONLY, &txn)) {
    mir_list_free(l);
    return o;
  }
  mir_pin_t p;
  for (int i = 0; i < OBS_MIRRORS_SCAN && mir_list_next(l, txn, &p) == 1; i++) {
    if (p.source == MIR_SRC_API)
      continue;
    char c[DAG_CID_STR_MAX];
    dag_cid_str(&p.cid, c);
    json_t *n = json_object_get(o, c);
    json_object_set_new(o, c, json_integer(n ? json_integer_value(n) + 1 : 1));
  }
  bs_txn_abort(txn);
  mir_list_free(l);
  return o;
}

int node_obs_mirror(node_obs_t *obs, node_scrub_t *sc, node_mirror_t *m) {
  tr_metrics_t *reg = node_obs_metrics(obs);
  int rc = tr_metrics_collector_add(reg, collect_scrub, sc);
  if (!rc)
    rc = tr_metrics_collector_add(reg, collect_pins, m);
  if (!rc)
    rc = node_obs_section(obs, "scrub", section_scrub, sc);
  if (!rc)
    rc = node_obs_section(obs, "repairs", section_repairs, sc);
  if (!rc)
    rc = node_obs_section(obs, "follows", section_follows, m);
  if (!rc)
    rc = node_obs_section(obs, "mirrors", section_mirrors, m);
  return rc;
}
