/*
 * api_cmddefs_pin.c — the option tables of the pins: `pin add|rm|update|
 * ls|verify` and the Pinning Service API client, `pin remote service ls`
 * and `pin remote add|ls|rm` (Kubo's core/commands/pin), kept apart from
 * api_cmddefs.c, whose rows name them (cmddefs_int.h), so that file stays
 * under its size.  `mirror follow`'s table, though it speaks to a Pinning
 * Service too, belongs to the mirror's rows and stays with them.
 */
#include "cmddefs_int.h"

const rpc_optdef_t rpc__pin_add_opts[] = {
    OB("recursive", 'r', "true", "Pin the whole DAG, not the block alone."),
    OS("name", 0, NULL, "A name for the pin."),
    OB("progress", 0, "false", "Show how many blocks have been fetched "
       "(through a daemon)."),
    END};

const rpc_optdef_t rpc__pin_update_opts[] = {
    OB("unpin", 0, "true", "Remove the old pin."),
    END};

const rpc_optdef_t rpc__pin_rm_opts[] = {
    OB("recursive", 'r', "true", "Remove a recursive pin (false: a direct "
       "one)."),
    END};

const rpc_optdef_t rpc__pin_ls_opts[] = {
    OS("type", 't', "all", "Pins to list: direct, indirect, recursive or "
       "all."),
    OB("quiet", 'q', "false", "Write just the CIDs."),
    OB("names", 'n', "false", "Print pin names beside the CIDs."),
    OS("name", 0, NULL, "Only pins whose name contains this (case-sensitive); "
       "implies --names."),
    OB("stream", 's', "false", "Stream the answer (the CLI always does)."),
    END};

const rpc_optdef_t rpc__pin_verify_opts[] = {
    OB("verbose", 0, "false", "Also list pins that are intact."),
    OB("quiet", 'q', "false", "Write just the CIDs of broken pins."),
    END};

const rpc_optdef_t rpc__pin_remote_svc_ls_opts[] = {
    OB("stat", 0, "false", "Try to fetch and display current pin count on "
       "remote service (queued/pinning/pinned/failed)."),
    END};

const rpc_optdef_t rpc__pin_remote_add_opts[] = {
    OS("service", 0, NULL, "Name of the remote pinning service to use "
       "(mandatory)."),
    OS("name", 0, NULL, "An optional name for the pin."),
    OB("background", 0, "false", "Add to the queue on the remote service and "
       "return immediately (does not wait for pinned status)."),
    END};

const rpc_optdef_t rpc__pin_remote_ls_opts[] = {
    OS("service", 0, NULL, "Name of the remote pinning service to use "
       "(mandatory)."),
    OS("name", 0, NULL, "Return pins with names that contain the value "
       "provided (case-sensitive, exact match)."),
    OS("cid", 0, NULL, "Return pins for the specified CIDs "
       "(comma-separated)."),
    OS("status", 0, "pinned", "Return pins with the specified statuses "
       "(queued,pinning,pinned,failed)."),
    END};

const rpc_optdef_t rpc__pin_remote_rm_opts[] = {
    OS("service", 0, NULL, "Name of the remote pinning service to use "
       "(mandatory)."),
    OS("name", 0, NULL, "Remove pins with names that contain provided value "
       "(case-sensitive, exact match)."),
    OS("cid", 0, NULL, "Remove pins for the specified CIDs."),
    OS("status", 0, "pinned", "Remove pins with the specified statuses "
       "(queued,pinning,pinned,failed)."),
    OB("force", 0, "false", "Allow removal of multiple pins matching the "
       "query without additional confirmation."),
    END};
