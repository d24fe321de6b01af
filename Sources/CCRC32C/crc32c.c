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

__attribute__((target("sse4.2")))
uint32_t slog_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = (uint32_t)~crc;
    while (length > 0 && ((uintptr_t)p & 7u) != 0) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        length--;
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
