#ifndef SIGNALLOG_CCRC32C_H
#define SIGNALLOG_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
///
/// Every function takes and returns the *finalised* CRC value, so a
/// computation can be continued across calls: start from 0, then feed the
/// previous result back in with the next chunk.

/// Software implementation (slicing-by-8 tables). Available everywhere.
uint32_t slog_crc32c_software(uint32_t crc, const void *data, size_t length);

/// Hardware implementation using the SSE4.2 `crc32` instruction.
/// Only call it when `slog_crc32c_hardware_available()` returns 1.
uint32_t slog_crc32c_hardware(uint32_t crc, const void *data, size_t length);

/// 1 when the running CPU supports the SSE4.2 `crc32` instruction.
int slog_crc32c_hardware_available(void);

#endif
