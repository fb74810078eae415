/*
 * hashfn.h — the hash functions behind multihash codes other than sha2-256:
 * BLAKE2b and BLAKE2s (RFC 7693), the Keccak-f[1600] sponge (SHA-3, SHAKE
 * and the original Keccak that Ethereum uses, FIPS 202) and BLAKE3.
 *
 * Each function is one-shot pure computation over caller memory: no I/O, no
 * allocation, no global mutable state (but for dag_blake3()'s answer to
 * "does this CPU have AVX2?", cached atomically on first use), so every
 * function is thread-safe.
 * in may be NULL when len is 0; out must have room for outlen bytes and may
 * not overlap in.  The output lengths are the caller's contract, not
 * untrusted input (dag/multihash.c maps codes to lengths from a fixed
 * table), so an out-of-range outlen is a bug and is assert()ed, not
 * returned as an error.
 *
 * Implemented in dag/blake2.c, dag/keccak.c and dag/blake3.c: portable C
 * tuned for -O2, except that dag_blake3() uses AVX2 (dag/blake3_avx2.c)
 * for long inputs on x86-64 CPUs that have it, chosen at run time.  None
 * of them is constant-time with respect to the input length (none needs
 * to be: trove hashes public blocks).
 */
#ifndef DAG_HASHFN_H
#define DAG_HASHFN_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- BLAKE2 */

/* BLAKE2b (RFC 7693), unkeyed, a digest of outlen bytes, 1..64.  The digest
 * length is part of the parameter block, so blake2b-256 is not a truncated
 * blake2b-512: each multihash code (0xb201..0xb240) gets its own outlen. */
void dag_blake2b(const void *in, size_t len, uint8_t *out, size_t outlen);

/* BLAKE2s, unkeyed, a digest of outlen bytes, 1..32 (multihash codes
 * 0xb241..0xb260).  As for BLAKE2b, outlen changes every output byte. */
void dag_blake2s(const void *in, size_t len, uint8_t *out, size_t outlen);

/* ---------------------------------------------------------------- Keccak */

/* The Keccak-f[1600] sponge.  rate is the number of bytes absorbed per
 * permutation, 200 - 2 * (security in bytes): 144 for 224-bit, 136 for
 * 256, 104 for 384, 72 for 512; 136 for SHAKE256 and 168 for SHAKE128.  It
 * must be a multiple of 8 in 8..192.  domain is the first byte of the
 * padding, which also carries the domain-separation bits: 0x06 for SHA-3,
 * 0x1f for SHAKE, 0x01 for the original Keccak (Ethereum's keccak-256).  It
 * must be nonzero and below 0x80.  outlen may be any number of bytes: the
 * sponge is squeezed as often as needed, so a shorter SHAKE output is a
 * prefix of a longer one (for SHA-3 only outlen = security bytes is a
 * standard digest). */
void dag_keccak(const void *in, size_t len, size_t rate, uint8_t domain,
                uint8_t *out, size_t outlen);

/* ---------------------------------------------------------------- BLAKE3 */

/* BLAKE3 in its default hash mode (no key, no derive_key), with extendable
 * output: outlen may be any number of bytes, and the first 32 are the
 * default hash (multihash code 0x1e).  A shorter output is a prefix of a
 * longer one. */
void dag_blake3(const void *in, size_t len, uint8_t *out, size_t outlen);

/* The same function computed the portable way only, one compression at a
 * time, whatever the CPU: the reference that tests/test_hashfn.c compares
 * dag_blake3() against, since on x86-64 with AVX2 dag_blake3() hashes
 * inputs of 8 KiB and more eight chunks at a time (dag/blake3_avx2.c).
 * Same contract and output; trove itself calls dag_blake3(). */
void dag_blake3_portable(const void *in, size_t len, uint8_t *out,
                         size_t outlen);

#endif /* DAG_HASHFN_H */
