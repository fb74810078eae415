/*
 * api_cmddefs_name.c — the option tables of IPNS: `name publish|put|
 * inspect` and the keystore's `key gen|ls|rm|rename|export|import|sign|
 * verify|rotate` (Kubo's core/commands/name and keystore.go), kept apart
 * from api_cmddefs.c, whose rows name them (cmddefs_int.h), so that file
 * stays under its size.  The key commands share IPNS_BASE, the encoding
 * of the key IDs they print.  `resolve` and `name resolve` share their
 * table with each other, so it stays beside their rows.
 */
#include "cmddefs_int.h"

const rpc_optdef_t rpc__publish_opts[] = {
    OS("key", 'k', "self", "The key to sign with: \"self\" (the node's "
       "own), a name of 'trove key ls' or a key's PeerID."),
    OS("lifetime", 't', "48h", "How long the record is valid (a Go "
       "duration)."),
    OS("ttl", 0, "5m", "How long resolvers may cache it (capped to "
       "--lifetime)."),
    {"sequence", 0, I, "0", "The sequence number (at least the last one "
     "plus one).", "sequence", 0, INT64_MAX},
    CB("quieter", 'Q', "false", "Write only the name."),
    OB("allow-offline", 0, "false", "Publish although no DHT peer is known "
       "(the record is kept locally)."),
    END};

#define IPNS_BASE OS("ipns-base", 0, "base36", "Encoding of key IDs: " \
                          "b58mh, base36, base32, base58btc, base16.")
const rpc_optdef_t rpc__key_gen_opts[] = {
    OS("type", 't', "ed25519", "Type of the key to create (trove: ed25519 "
       "only)."),
    IPNS_BASE,
    END};

const rpc_optdef_t rpc__key_ls_opts[] = {
    CB("l", 'l', "false", "Show extra information about keys (their IDs)."),
    IPNS_BASE,
    END};

const rpc_optdef_t rpc__key_rename_opts[] = {
    OB("force", 'f', "false", "Allow to overwrite an existing key."),
    IPNS_BASE,
    END};

const rpc_optdef_t rpc__key_export_opts[] = {
    CS("output", 'o', NULL, "The path where the output should be stored "
       "(default ./NAME.key)."),
    CS("format", 'f', "libp2p-protobuf-cleartext", "The format of the "
       "exported private key (trove: libp2p-protobuf-cleartext only)."),
    END};

const rpc_optdef_t rpc__key_import_opts[] = {
    IPNS_BASE,
    OS("format", 'f', "libp2p-protobuf-cleartext", "The format of the "
       "private key to import (trove: libp2p-protobuf-cleartext only)."),
    END};

const rpc_optdef_t rpc__key_sign_opts[] = {
    OS("key", 'k', "self", "The name of the key to use for signing."),
    IPNS_BASE,
    END};

const rpc_optdef_t rpc__key_verify_opts[] = {
    OS("key", 'k', "self", "The name of the key to use for verifying (or "
       "an IPNS name or PeerID that inlines its key)."),
    OS("signature", 's', NULL, "Multibase-encoded signature to verify."),
    IPNS_BASE,
    END};

const rpc_optdef_t rpc__key_rotate_opts[] = {
    CS("oldkey", 'o', NULL, "Keystore name to use for backing up your "
       "existing identity."),
    CS("type", 't', "ed25519", "Type of the key to create (trove: ed25519 "
       "only)."),
    {"size", 's', I, NULL, "Size of the key to generate (not for "
     "ed25519).", NULL, 0, INT32_MAX},
    END};

const rpc_optdef_t rpc__name_put_opts[] = {
    OB("force", 'f', "false", "Skip validation (signature, sequence, "
       "size)."),
    OB("allow-offline", 0, "false", "Store locally without broadcasting to "
       "the network."),
    OB("allow-delegated", 0, "false", "Publish via HTTP delegated "
       "publishers only (trove: needs Ipns.DelegatedPublishers set, then "
       "acts as --allow-offline)."),
    CB("quiet", 'q', "false", "Write no output."),
    END};

const rpc_optdef_t rpc__name_inspect_opts[] = {
    OS("verify", 0, NULL, "CID of the public IPNS key to validate "
       "against."),
    OB("dump", 0, "true", "Include a full hex dump of the raw Protobuf "
       "record."),
    END};
