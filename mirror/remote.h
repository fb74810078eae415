/*
 * remote.h — `pin remote` on a loop: what Kubo's `ipfs pin remote`
 * (core/commands/pin/remotepin.go) does with a Pinning Service API, as
 * operations that run on a libuv loop through the client of
 * psa_client.h.  The CLI runs them on a loop of its own when no daemon
 * holds the repo (cli/cmd_pin_remote.c); the daemon runs them on its
 * loop for /api/v0/pin/remote/... (node/mirror_remote.c), so both answer
 * the same, with Kubo's error words.
 *
 * Services live in the config's Pinning.RemoteServices in Kubo's shape:
 *   {"NAME":{"API":{"Endpoint":E,"Key":K},"Policies":{"MFS":{"Enable":false,
 *    "PinName":"","RepinInterval":""}}}}
 * The mir_remote_service_* functions edit a loaded config (the caller
 * saves it).
 *
 * One thread: the loop's.  Each operation ends with exactly one call of
 * its mir_remote_cb, from the loop, unless cancelled first.
 */
#ifndef MIRROR_REMOTE_H
#define MIRROR_REMOTE_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "psa_client.h"

#define MIR_REMOTE_POLL_MS 500u  /* Kubo polls a waiting add every 500 ms */
#define MIR_REMOTE_MSG_MAX 1600u /* an error message */

/* ----------------------------------------------------------- services */

/* cfg's Pinning.RemoteServices object, NULL when there is none. */
json_t *mir_remote_services(json_t *cfg);
/* Add NAME -> endpoint (normalised as Kubo does), key.  0; TR_EUSAGE
 * (bad endpoint: Kubo's words in err), TR_EEXIST ("service already
 * present" in err), -ENOMEM. */
int mir_remote_service_add(json_t *cfg, const char *name, const char *ep,
                           const char *key, char *err, size_t en) TR_WUR;
/* Remove NAME (nothing when absent, as Kubo). */
void mir_remote_service_rm(json_t *cfg, const char *name);
/* NAME's endpoint and key (views into cfg).  0; TR_EUSAGE ("a service
 * name must be passed"), TR_ENOTFOUND ("service not known"), with the
 * words in err. */
int mir_remote_service_find(json_t *cfg, const char *name, const char **ep,
                            const char **key, char *err, size_t en) TR_WUR;

/* ------------------------------------------------------------- queries */

/* ls/rm's filters as Kubo reads them: statuses (comma-separated; NULL or
 * "": pinned), CIDs (comma-separated, each must parse), name.  q's
 * strings point at the arguments.  0, or TR_EUSAGE with Kubo's words
 * ("status \"x\" is not valid", "CID \"x\" cannot be parsed") in err. */
int mir_remote_query(const char *status, const char *cids, const char *name,
                     mir_psa_query_t *q, char *err, size_t en) TR_WUR;

/* ---------------------------------------------------------- operations */

typedef struct mir_rop mir_rop_t;

/* The end of an operation.  status 0 or an error (psa_client.h's codes,
 * TR_EEXIST for rm's several matches without force, TR_EPROTO for a pin
 * that failed); msg: Kubo's words ("" on 0).  pin: add's last PinStatus
 * (NULL otherwise); list: service ls's {"RemoteServices":[...]} (Kubo's
 * PinServicesList; borrowed).  Views valid during the call only. */
typedef struct mir_remote_end {
  int status;
  const char *msg;
  const mir_psa_pin_t *pin;
  json_t *list;
} mir_remote_end_t;
typedef void (*mir_remote_cb)(void *ud, const mir_remote_end_t *e);

/* service ls: every service of cfg (read now), sorted by name; with stat,
 * each one's pin counts asked (limit=1 a status; "invalid" when any
 * fails).  0, -ENOMEM. */
int mir_remote_service_ls(uv_loop_t *loop, json_t *cfg, bool stat,
                          mir_remote_cb cb, void *ud, mir_rop_t **out) TR_WUR;
/* add: POST /pins {cid, name, origins}; without background, GET the
 * request every MIR_REMOTE_POLL_MS until pinned (failed ends it with
 * TR_EPROTO).  on_delegates (may be NULL) gets the first answer's
 * delegates (a JSON array of strings), as Kubo connects to them.  0,
 * TR_EUSAGE, -EPROTONOSUPPORT (mir_psa_new's), -ENOMEM. */
int mir_remote_add(uv_loop_t *loop, const char *ep, const char *key,
                   const char *cid, const char *name, json_t *origins,
                   bool background, void (*on_delegates)(void *, json_t *),
                   mir_remote_cb cb, void *ud, mir_rop_t **out) TR_WUR;
/* ls: every pin matching q, to on_pin (non-zero stops it), then cb. */
int mir_remote_ls(uv_loop_t *loop, const char *ep, const char *key,
                  const mir_psa_query_t *q, mir_psa_pin_cb on_pin,
                  mir_remote_cb cb, void *ud, mir_rop_t **out) TR_WUR;
/* rm: list the pins matching q, then delete them one by one; more than
 * one without force is TR_EEXIST (nothing deleted). */
int mir_remote_rm(uv_loop_t *loop, const char *ep, const char *key,
                  const mir_psa_query_t *q, bool force, mir_remote_cb cb,
                  void *ud, mir_rop_t **out) TR_WUR;
/* Stop op: no callback after this; its memory goes once the loop has
 * run.  Never after its cb. */
void mir_remote_cancel(mir_rop_t *op);

#endif /* MIRROR_REMOTE_H */
