/*
 * gateway.c — placeholder path gateway: being written.
 */
#include "gateway.h"

void gw_gateway_handle(gw_req_t *req, void *ud) {
  (void)ud;
  gw_error(req, 501, "gateway not implemented yet");
}
