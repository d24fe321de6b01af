#ifndef SIGNALLOG_BENCH_LZ4_SHIM_H
#define SIGNALLOG_BENCH_LZ4_SHIM_H
/* The LZ4 block API, for the benchmark's in-memory compression bound. */
#include <lz4.h>
#endif
