print("signallog: no commands yet")
