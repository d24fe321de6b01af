#ifndef SIGNALLOG_CLZ4_SHIM_H
#define SIGNALLOG_CLZ4_SHIM_H
#include <lz4.h>
#endif
