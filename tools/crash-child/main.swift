print("slog-crash-child: not implemented yet")
