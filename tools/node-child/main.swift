print("slog-node-child: not implemented yet")
