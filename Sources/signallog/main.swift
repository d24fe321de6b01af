#if canImport(Glibc)
import Glibc
#endif

// Writes to a closed pipe (`signallog cat DIR | head`) end the tool quietly
// through EPIPE instead of killing it with SIGPIPE mid-buffer.
signal(SIGPIPE, SIG_IGN)
await SignalLogTool.run()
