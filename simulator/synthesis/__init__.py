"""Bottom-up task synthesis (the BUTTON method): scenarios -> atomic tasks ->
compositional tasks -> functions -> plans. One module per stage; the driver is
``simulator.synthesis.pipeline`` and the command ``button synth``."""
