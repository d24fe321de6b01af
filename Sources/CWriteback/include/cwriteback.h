#ifndef SIGNALLOG_CWRITEBACK_H
#define SIGNALLOG_CWRITEBACK_H

#include <stdint.h>

/// Asks the kernel to start writing the dirty pages of `length` bytes at
/// `offset` of file `fd` to storage, without waiting for them
/// (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`; glibc declares it
/// only under _GNU_SOURCE, which Swift's Glibc module does not set).
///
/// Returns 0, or -1 with errno set. Elsewhere it does nothing and returns 0.
int slog_start_writeback(int fd, int64_t offset, int64_t length);

#endif
