// Processing layer: see issue 3.
