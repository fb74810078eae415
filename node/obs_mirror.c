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
  return rc;
}
