/*
 * bootstrap.h — Kubo's `bootstrap` commands on the config's Bootstrap list
 * (core/commands/bootstrap.go of v0.43.1), for the CLI (which edits the
 * repo's config file itself, as `trove config` does) and for
 * /api/v0/bootstrap/... (rpc_bootstrap.c).  The list takes effect when
 * the daemon starts, as in Kubo.
 *
 *   list [expand-auto]  the list as written ("auto" expanded when asked:
 *                       config/profile.h)
 *   add PEER...         each a multiaddr ending in /p2p/ID, with a
 *                       transport before it; "default" stands for "auto",
 *                       refused while AutoConf.Enabled is false.  The new
 *                       ones go first; the answer lists those given (each
 *                       once), as Kubo's.
 *   rm PEER...          an address of a peer (that address alone) or
 *                       /p2p/ID (every address of the peer); refused
 *                       while the list holds "auto" and AutoConf is on.
 *   rm all              every entry (the list becomes null); the answer
 *                       lists them.
 */
#ifndef RPC_BOOTSTRAP_H
#define RPC_BOOTSTRAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/tr.h"

enum {
  RPC_BOOT_LIST,
  RPC_BOOT_LIST_EXPANDED,
  RPC_BOOT_ADD,
  RPC_BOOT_RM,
  RPC_BOOT_RM_ALL,
};

/* Peers one add or rm takes at most (an entry takes 9 KiB while it is
 * parsed; arguments can come by the megabyte in a body). */
#define RPC_BOOT_PEERS_MAX 1024

/* Do op on cfg (changed in place for add and rm) with peers[0..n); *out
 * gets a new array of the peers to report, in the order of Kubo's JSON
 * (its text, and trove's CLI, sort them).  Errors: TR_EUSAGE with Kubo's message in
 * err (or more than RPC_BOOT_PEERS_MAX peers), -ENOMEM. */
int rpc_bootstrap(json_t *cfg, int op, char *const *peers, size_t n,
                  json_t **out, char *err, size_t errlen) TR_WUR;

#endif /* RPC_BOOTSTRAP_H */
