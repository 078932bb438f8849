#!/usr/bin/env python3
"""Writes potjans_diesmann_2014.toml: the cortical microcircuit of Potjans & Diesmann (2014,
Cereb. Cortex 24:785) as NEST's PyNEST example (pynest/examples/Potjans_2014, last version
before it left the NEST repository, e0a0745 of 2025-08-22) derives it, at its default scale:
N_scaling = K_scaling = 0.1.

    /usr/bin/python3 data/scenarios/potjans_diesmann_2014.py > data/scenarios/potjans_diesmann_2014.toml
    /usr/bin/python3 data/scenarios/potjans_diesmann_2014.py --check   # the file is up to date
    /usr/bin/python3 data/scenarios/potjans_diesmann_2014.py --rates run.h5 [--from-ms 1000]
        # mean rates per population after a transient, beside the published ones

The derivation follows the example's network.py and helpers.py (rewritten here, not copied):
- synapses between populations (target i, source j) at full scale from the connection
  probability C: K = log(1 - C) / log(1 - 1 / (N_i N_j)); scaled by N_scaling x K_scaling and
  rounded, connected by fixed_total_number (multapses and autapses allowed);
- weights: the PSC amplitude giving a 0.15 mV PSP peak (87.81 pA), x -4 from inhibitory
  populations, x 2 for L4E -> L2/3E, divided by sqrt(K_scaling); normal with sd 10 % of the
  mean, redrawn to keep its sign;
- delays normal, 1.5 +- 0.75 ms from excitatory and 0.75 +- 0.375 ms from inhibitory
  populations, redrawn below 0.05 ms (half a step: the shortest delay is one step);
- Poisson background: K_ext x K_scaling (rounded) inputs of 8 Hz per neuron, weight 87.81 pA /
  sqrt(K_scaling);
- the input the in-degree scaling removes is given back as a DC current (I_e): 1e-3 tau_syn
  (1 - sqrt(K_scaling)) x (recurrent input at the full-scale rates + background input);
- initial V_m normal with the example's "optimized" population-specific means and sds.
"""

import math
import sys
from pathlib import Path

POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
FULL_NUM_NEURONS = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# Full-scale mean rates [spikes/s] the DC compensation uses: the example's full_mean_rates since
# 2022 (one PyNEST run at full scale); the earlier example listed 0.971, 2.868, 4.746, 5.396,
# 8.142, 9.078, 0.991, 7.523.
FULL_MEAN_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
# Connection probabilities, [target][source].
CONN_PROBS = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]  # [mV]
V0_SD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]  # [mV]

N_SCALING = 0.1
K_SCALING = 0.1
PSP_EXC_MEAN = 0.15  # [mV]
G = -4.0
WEIGHT_REL_SD = 0.1
DELAY_EXC_MEAN = 1.5  # [ms]
DELAY_INH_MEAN = 0.75  # [ms]
DELAY_REL_SD = 0.5
BG_RATE = 8.0  # [spikes/s]
DT = 0.1  # [ms]
NEURON = dict(E_L=-65.0, V_th=-50.0, V_reset=-65.0, C_m=250.0, tau_m=10.0, tau_syn=0.5, t_ref=2.0)


def psc_over_psp(C_m, tau_m, tau_syn):
    """[pA/mV] the PSC amplitude whose PSP (exponential current onto the membrane) peaks at 1 mV."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / C_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def derive():
    n = len(POPULATIONS)
    full_synapses = [[math.log(1.0 - CONN_PROBS[i][j])
                      / math.log((FULL_NUM_NEURONS[i] * FULL_NUM_NEURONS[j] - 1.0)
                                 / (FULL_NUM_NEURONS[i] * FULL_NUM_NEURONS[j]))
                      for j in range(n)] for i in range(n)]
    sizes = [round(N * N_SCALING) for N in FULL_NUM_NEURONS]
    synapses = [[round(full_synapses[i][j] * N_SCALING * K_SCALING) for j in range(n)]
                for i in range(n)]
    ext_indegrees = [round(k * K_SCALING) for k in K_EXT]
    factor = psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn"])
    psp = [[PSP_EXC_MEAN * (G if j % 2 == 1 else 1.0) for j in range(n)] for i in range(n)]
    psp[0][2] = 2.0 * PSP_EXC_MEAN
    psc = [[psp[i][j] * factor for j in range(n)] for i in range(n)]
    psc_ext = PSP_EXC_MEAN * factor
    scale = math.sqrt(K_SCALING)
    dc = []
    for i in range(n):
        recurrent = sum(psc[i][j] * full_synapses[i][j] / FULL_NUM_NEURONS[i] * FULL_MEAN_RATES[j]
                        for j in range(n))
        external = psc_ext * K_EXT[i] * BG_RATE
        dc.append(0.001 * NEURON["tau_syn"] * (1.0 - scale) * (recurrent + external))
    return dict(sizes=sizes, synapses=synapses, ext_indegrees=ext_indegrees,
                weights=[[w / scale for w in row] for row in psc], weight_ext=psc_ext / scale,
                psc_ext_full=psc_ext, dc=dc, full_synapses=full_synapses)


def g(x):
    """A number as TOML writes it: shortest round-trip form, always with a decimal point."""
    text = repr(float(x))
    return text if ("." in text or "e" in text or "inf" in text) else text + ".0"


def scenario_text():
    d = derive()
    n = len(POPULATIONS)
    sizes, synapses = d["sizes"], d["synapses"]
    total_synapses = sum(map(sum, synapses))
    out = []
    w = out.append
    w("# The cortical microcircuit of Potjans & Diesmann (2014, Cereb. Cortex 24:785) at the scale of")
    w("# NEST's PyNEST example (pynest/examples/Potjans_2014): 10 % of the neurons (N_scaling = 0.1)")
    w("# and 10 % of the in-degrees (K_scaling = 0.1), written by potjans_diesmann_2014.py from the")
    w("# example's parameters (the derivation is in that script's docstring). 8 populations of")
    w("# lif_curr neurons (NEST's iaf_psc_exp, integrated exactly: E_L = V_reset = -65 mV,")
    w("# V_th = -50 mV, C_m = 250 pF, tau_m = 10 ms, tau_syn = 0.5 ms, t_ref = 2 ms).")
    w(f"# {sum(sizes)} neurons, {total_synapses} synapses by fixed_total_number (multapses and")
    w("# autapses allowed); weights PSC = 87.81 pA per 0.15 mV PSP, / sqrt(K_scaling) = 277.7 pA,")
    w("# x -4 from inhibitory populations (the inhibitory receptor), x 2 for L4E -> L23E, normal with")
    w("# sd 10 % redrawn to keep their sign; delays normal 1.5 +- 0.75 ms (excitatory) and")
    w("# 0.75 +- 0.375 ms (inhibitory) redrawn below 0.05 ms, rounded to the 0.1 ms step; Poisson")
    w("# background K_ext x 0.1 x 8 Hz per neuron of weight 277.7 pA; I_e gives back the input the")
    w("# in-degree scaling removes (at the example's full-scale rates). Weights are stored as float32")
    w("# (weight_precision: 4 bytes per synapse less; the rates are those of float64 weights within")
    w("# the spread over seeds).")
    w("#")
    w("# population  size  in-degree (recurrent, mean)  external inputs  I_e [pA]")
    for i, name in enumerate(POPULATIONS):
        indegree = sum(synapses[i]) / sizes[i]
        w(f"#   {name:<6} {sizes[i]:>6} {indegree:>14.1f} {d['ext_indegrees'][i]:>20} "
          f"{d['dc'][i]:>16.2f}")
    w("# Expected (data/scenarios/README.md, Potjans & Diesmann 2014): mean rates close to the")
    w("# NEST example's at this scale, L2/3E and L6E lowest (< 1.5 spikes/s), L5 highest.")
    w("")
    w("[run]")
    w(f"dt_ms = {g(DT)}")
    w("duration_ms = 1000.0")
    w("seed = 55")
    w('output = "potjans_diesmann_2014.h5"')
    for i, name in enumerate(POPULATIONS):
        w("")
        w(f"[populations.{name}]")
        w('model = "lif_curr"')
        w('integration = "exact"')
        w(f"size = {sizes[i]}")
        w(f"C_m_pF = {g(NEURON['C_m'])}")
        w(f"tau_m_ms = {g(NEURON['tau_m'])}")
        w(f"E_L_mV = {g(NEURON['E_L'])}")
        w(f"V_th_mV = {g(NEURON['V_th'])}")
        w(f"V_reset_mV = {g(NEURON['V_reset'])}")
        w(f"t_ref_ms = {g(NEURON['t_ref'])}")
        w(f"tau_syn_e_ms = {g(NEURON['tau_syn'])}")
        w(f"tau_syn_i_ms = {g(NEURON['tau_syn'])}")
        w(f"I_e_pA = {g(round(d['dc'][i], 6))}")
        w(f"initial = {{ V_m_mV = {{ normal = [{g(V0_MEAN[i])}, {g(V0_SD[i])}] }} }}")
        w(f"poisson_background = {{ rate_hz = {g(d['ext_indegrees'][i] * BG_RATE)}, "
          f"weight_pA = {g(round(d['weight_ext'], 6))} }}")
    for i, target in enumerate(POPULATIONS):
        for j, source in enumerate(POPULATIONS):
            if synapses[i][j] == 0:
                continue
            inhibitory = j % 2 == 1
            weight = abs(d["weights"][i][j])
            delay = DELAY_INH_MEAN if inhibitory else DELAY_EXC_MEAN
            w("")
            w(f'[projections."{source}->{target}"]')
            w(f'pre = "{source}"')
            w(f'post = "{target}"')
            w(f'connection = {{ rule = "fixed_total_number", n = {synapses[i][j]} }}')
            w(f'receptor = "{"inhibitory" if inhibitory else "excitatory"}"')
            w(f"weight_pA = {{ normal = [{g(round(weight, 6))}, "
              f"{g(round(weight * WEIGHT_REL_SD, 6))}], within = [0.0, inf] }}")
            w('weight_precision = "float32"')
            w(f"delay_ms = {{ normal = [{g(delay)}, {g(delay * DELAY_REL_SD)}], "
              f"within = [{g(DT / 2)}, inf] }}")
    w("")
    w("[record]")
    w("spikes = [" + ", ".join(f'"{p}"' for p in POPULATIONS) + "]")
    return "\n".join(out) + "\n"


# Mean rates [spikes/s] to compare with: the full-scale circuit as the earlier example listed
# them (Potjans & Diesmann's simulation), the example's full-scale run of 2022, and the example's
# reference run at this scale (reference_data/rate*.dat of e0a0745: PyNEST, N_scaling = K_scaling
# = 0.1, seed 55, 4 threads, rates over 500-1500 ms).
PUBLISHED_FULL_SCALE = [0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523]
EXAMPLE_FULL_SCALE = FULL_MEAN_RATES
EXAMPLE_SCALE_0_1 = [0.402, 2.017, 3.880, 4.958, 6.575, 7.726, 0.831, 6.986]


def rates(path, from_ms):
    """Mean rate per population over [from_ms, end of run], from a spikerate output file."""
    import h5py
    with h5py.File(path, "r") as f:
        end_ms = float(f["metrics/simulated_time_ms"][()])
        if not 0.0 <= from_ms < end_ms:
            sys.exit(f"--from-ms {from_ms}: must be in [0, {end_ms}) ms, the run's length")
        out = []
        for i, name in enumerate(POPULATIONS):
            t = f[f"spikes/{name}/timestamps"][()]
            n = round(FULL_NUM_NEURONS[i] * N_SCALING)
            out.append(float((t > from_ms).sum()) / (n * (end_ms - from_ms) * 1e-3))
    return out, end_ms


def print_rates(path, from_ms):
    ours, end_ms = rates(path, from_ms)
    print(f"mean rates [spikes/s] over {from_ms:g}-{end_ms:g} ms of {path}")
    print(f"{'population':<11}{'spikerate':>10}{'NEST 0.1':>10}{'NEST full':>11}{'published':>11}")
    for i, name in enumerate(POPULATIONS):
        print(f"{name:<11}{ours[i]:>10.3f}{EXAMPLE_SCALE_0_1[i]:>10.3f}"
              f"{EXAMPLE_FULL_SCALE[i]:>11.3f}{PUBLISHED_FULL_SCALE[i]:>11.3f}")


def main():
    if sys.argv[1:2] == ["--rates"] and len(sys.argv) in (3, 5):
        from_ms = 1000.0
        if len(sys.argv) == 5:
            if sys.argv[3] != "--from-ms":
                sys.exit(__doc__)
            from_ms = float(sys.argv[4])
        print_rates(sys.argv[2], from_ms)
        return
    text = scenario_text()
    if sys.argv[1:] == ["--check"]:
        path = Path(__file__).with_suffix(".toml")
        if path.read_text() != text:
            sys.exit(f"{path} is not what {Path(__file__).name} writes: regenerate it")
        return
    if sys.argv[1:]:
        sys.exit(__doc__)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
