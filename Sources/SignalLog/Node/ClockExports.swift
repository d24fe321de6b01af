// The node's time source is the storage engine's clock protocol; these are
// re-exported so a program (or a test driving time with a `ManualClock`)
// needs only `import SignalLog`.
@_exported import protocol SegmentLog.LogClock
@_exported import class SegmentLog.ManualClock
@_exported import struct SegmentLog.SystemClock
