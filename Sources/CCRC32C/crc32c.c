#include "ccrc32c.h"
#include <string.h>

#define SLOG_CRC32C_POLY 0x82F63B78u

static uint32_t slog_table[8][256];
static int slog_table_ready = 0;

static void slog_build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1u) ? (c >> 1) ^ SLOG_CRC32C_POLY : (c >> 1);
        }
        slog_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = slog_table[0][n];
        for (int t = 1; t < 8; t++) {
            c = slog_table[0][c & 0xFFu] ^ (c >> 8);
            slog_table[t][n] = c;
        }
    }
    __atomic_store_n(&slog_table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t slog_crc32c_software(uint32_t crc, const void *data, size_t length) {
    if (!__atomic_load_n(&slog_table_ready, __ATOMIC_ACQUIRE)) {
        /* Building twice from two threads writes identical values: harmless. */
        slog_build_table();
    }
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    while (length > 0 && ((uintptr_t)p & 7u) != 0) {
        c = slog_table[0][(c ^ *p++) & 0xFFu] ^ (c >> 8);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= c; /* little-endian: low 32 bits mix with the running CRC */
        c = slog_table[7][word & 0xFFu] ^
            slog_table[6][(word >> 8) & 0xFFu] ^
            slog_table[5][(word >> 16) & 0xFFu] ^
            slog_table[4][(word >> 24) & 0xFFu] ^
            slog_table[3][(word >> 32) & 0xFFu] ^
            slog_table[2][(word >> 40) & 0xFFu] ^
            slog_table[1][(word >> 48) & 0xFFu] ^
            slog_table[0][(word >> 56) & 0xFFu];
        p += 8;
        length -= 8;
    }
    while (length > 0) {
        c = slog_table[0][(c ^ *p++) & 0xFFu] ^ (c >> 8);
        length--;
    }
    return ~c;
}

#if defined(__x86_64__)
#include <cpuid.h>

#include <pthread.h>

/*
 * The crc32 instruction has a latency of three cycles but can start one per
 * cycle, so long inputs are cut into three equal lanes checksummed side by
 * side. The CRC register is linear in its starting value: the register after
 * lane A then lane B equals (A's register advanced over |B| zero bytes) xor
 * (B's register started from zero). Advancing over a fixed number of zero
 * bytes is itself linear, so it is precomputed as four byte-indexed tables.
 */
#define SLOG_LONG_LANE 8192
#define SLOG_SHORT_LANE 256

static uint32_t slog_long_shift[4][256];
static uint32_t slog_short_shift[4][256];
static pthread_once_t slog_shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2")))
static uint32_t slog_advance_over_zeros(uint32_t reg, size_t length) {
    uint64_t c = reg;
    for (size_t i = 0; i < length; i += 8) {
        c = __builtin_ia32_crc32di(c, 0);
    }
    return (uint32_t)c;
}

static void slog_build_shift(uint32_t table[4][256], size_t length) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) {
        basis[bit] = slog_advance_over_zeros(1u << bit, length);
    }
    for (int k = 0; k < 4; k++) {
        for (uint32_t byte = 0; byte < 256; byte++) {
            uint32_t out = 0;
            for (int bit = 0; bit < 8; bit++) {
                if (byte & (1u << bit)) out ^= basis[8 * k + bit];
            }
            table[k][byte] = out;
        }
    }
}

static void slog_build_shifts(void) {
    slog_build_shift(slog_long_shift, SLOG_LONG_LANE);
    slog_build_shift(slog_short_shift, SLOG_SHORT_LANE);
}

static inline uint32_t slog_shift(uint32_t table[4][256], uint32_t reg) {
    return table[0][reg & 0xFFu] ^ table[1][(reg >> 8) & 0xFFu] ^
           table[2][(reg >> 16) & 0xFFu] ^ table[3][reg >> 24];
}

/* Checksums three lanes of `lane` bytes at a time while that many bytes
 * remain, advancing `data` and `length` past what it consumed. */
__attribute__((target("sse4.2")))
static uint64_t slog_crc32c_lanes(uint64_t c, const uint8_t **data, size_t *length,
                                  size_t lane, uint32_t table[4][256]) {
    const uint8_t *p = *data;
    while (*length >= 3 * lane) {
        uint64_t a = c, b = 0, d = 0;
        for (size_t i = 0; i < lane; i += 8) {
            uint64_t wa, wb, wd;
            memcpy(&wa, p + i, 8);
            memcpy(&wb, p + lane + i, 8);
            memcpy(&wd, p + 2 * lane + i, 8);
            a = __builtin_ia32_crc32di(a, wa);
            b = __builtin_ia32_crc32di(b, wb);
            d = __builtin_ia32_crc32di(d, wd);
        }
        c = slog_shift(table, (uint32_t)a) ^ (uint32_t)b;
        c = slog_shift(table, (uint32_t)c) ^ (uint32_t)d;
        p += 3 * lane;
        *length -= 3 * lane;
    }
    *data = p;
    return c;
}

__attribute__((target("sse4.2")))
uint32_t slog_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = (uint32_t)~crc;
    while (length > 0 && ((uintptr_t)p & 7u) != 0) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        length--;
    }
    if (length >= 3 * SLOG_SHORT_LANE) {
        pthread_once(&slog_shift_once, slog_build_shifts);
        c = slog_crc32c_lanes(c, &p, &length, SLOG_LONG_LANE, slog_long_shift);
        c = slog_crc32c_lanes(c, &p, &length, SLOG_SHORT_LANE, slog_short_shift);
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        length -= 8;
    }
    while (length > 0) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        length--;
    }
    return ~(uint32_t)c;
}

int slog_crc32c_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        return 0;
    }
    return (ecx & bit_SSE4_2) != 0;
}
#else
uint32_t slog_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    return slog_crc32c_software(crc, data, length);
}

int slog_crc32c_hardware_available(void) {
    return 0;
}
#endif
